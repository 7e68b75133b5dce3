/**
 * Program loading, the one way the CLI and the language server turn a folder into compiler
 * options and a TypeScript program:
 *
 * - `findTsconfig`: the nearest tsconfig.json (or a monorepo root's tsconfig.base.json) above a path;
 * - `readTsconfig`: its compiler options and its errors, in TypeScript's words;
 * - `analysisOptions`: those options with ANALYSIS_OVERRIDES on top, or DEFAULT_COMPILER_OPTIONS
 *   without a usable tsconfig;
 * - `loadProgram`: the CLI's batch program (the broker files and what the analysis reaches from
 *   them, optionally with some files' text given instead of the disk's), its files read bounded
 *   and parsed in a guard (sources.ts). The server builds an incremental one over the same options
 *   and the analysis compiler host (workspace-project.ts).
 *
 * What a tsconfig error does is the caller's policy: the CLI stops on an explicit --project and
 * otherwise falls back to the defaults with a warning; the server logs it and keeps what parsed.
 *
 * The analysis never reads installed packages (`node_modules`): only the project's own sources,
 * the workspace packages of a monorepo, and TypeScript's ES library. Findings are the same on a
 * fresh CI checkout as on a developer's machine, and a 50-file service loads 50 files, not the
 * thousands of declaration files of its dependencies (docs/model.md, "What the analysis cannot see").
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getLibFiles, libFolderInMemoryPath } from '@ts-morph/common';
import { ts } from 'ts-morph';
import type { FileProblem } from '../model';
import { perParsedFile } from '../analysis/source/ast';
import { readSourceFile } from './files';
import { SourceCache, checkedProgram } from './sources';
import { LintInputError } from './api';
import { ReportCache } from './reads';
import { workspacePaths } from './workspaces';

/** Options that make any project loadable for analysis, whatever its tsconfig says. */
export const ANALYSIS_OVERRIDES: ts.CompilerOptions = {
  noEmit: true,
  allowJs: true,
  skipLibCheck: true,
  checkJs: false,
  // No @types packages, and the ES library without the DOM's 2 MB: nothing installed is read.
  types: [],
  lib: ['lib.es2023.d.ts'],
};

/** Whether a resolved module is an installed package rather than the project's own source. */
function isInstalledPackage(resolved: ts.ResolvedModuleFull | undefined): boolean {
  return (
    !!resolved &&
    (resolved.isExternalLibraryImport === true || /[\\/]node_modules[\\/]/.test(resolved.resolvedFileName))
  );
}

/**
 * Module resolution for analysis: TypeScript's own, except that installed packages resolve to
 * nothing (an import of `kafkajs` is read from its declaration, not from its types).
 */
export function resolveProjectModules(
  moduleNames: readonly string[],
  containingFile: string,
  options: ts.CompilerOptions,
  host: ts.ModuleResolutionHost,
  cache?: ts.ModuleResolutionCache,
): (ts.ResolvedModuleFull | undefined)[] {
  return moduleNames.map((name) => {
    const resolved = ts.resolveModuleName(name, containingFile, options, host, cache).resolvedModule;
    return isInstalledPackage(resolved) ? undefined : resolved;
  });
}

/** One tsconfig.json's module resolution: its options (with ANALYSIS_OVERRIDES) and a cache for them. */
interface ResolutionScope {
  options: ts.CompilerOptions;
  cache: ts.ModuleResolutionCache;
}

/**
 * Module resolution the way each file's own package sees it. A monorepo package (a Lambda, an app)
 * often has its own tsconfig.json with its own `paths` and `baseUrl` (`@lib/*` → `src/lib/*`) and
 * is linted from the repository root, whose tsconfig (if any) knows nothing of them. So a file
 * resolves its imports with the nearest tsconfig.json between it and the project's tsconfig, as
 * tsc run in that package would; what that leaves unresolved (a bare name) is tried with the
 * project's options, which also map the workspace packages (workspaces.ts). A file with no such
 * tsconfig, and every file under an explicit --project, resolves with the project's options alone.
 */
export class ModuleResolver {
  private readonly projectScope: ResolutionScope;
  /** The folder of the project's tsconfig: the walk up from a file stops there. */
  private readonly projectFolder: string | undefined;
  private readonly scopeByFolder = new Map<string, ResolutionScope | undefined>();
  private readonly scopeByTsconfig = new Map<string, ResolutionScope | undefined>();

  constructor(
    options: ts.CompilerOptions,
    tsconfigPath: string | undefined,
    /** Whether files may resolve with their own package's tsconfig (not under an explicit --project). */
    private readonly nested: boolean,
  ) {
    this.projectScope = { options, cache: ts.createModuleResolutionCache(process.cwd(), (name) => name, options) };
    this.projectFolder = tsconfigPath ? path.resolve(path.dirname(tsconfigPath)) : undefined;
  }

  /**
   * The project's resolution cache, for the programs made with this resolver: its package.json
   * cache also answers whether each file is an ES module. Without it every program made (one per
   * edit in the server) looked up the package.json above every file again on the disk.
   */
  get cache(): ts.ModuleResolutionCache {
    return this.projectScope.cache;
  }

  resolve(
    moduleNames: readonly string[],
    containingFile: string,
    host: ts.ModuleResolutionHost,
  ): (ts.ResolvedModuleFull | undefined)[] {
    const project = this.projectScope;
    const scope = this.nested ? this.scopeOf(path.dirname(path.resolve(containingFile))) : undefined;
    if (!scope) return resolveProjectModules(moduleNames, containingFile, project.options, host, project.cache);
    const resolved = resolveProjectModules(moduleNames, containingFile, scope.options, host, scope.cache);
    const retry = moduleNames.flatMap((name, index) => (resolved[index] || isRelative(name) ? [] : [index]));
    if (retry.length) {
      const again = resolveProjectModules(
        retry.map((index) => moduleNames[index]),
        containingFile,
        project.options,
        host,
        project.cache,
      );
      retry.forEach((index, position) => (resolved[index] = again[position]));
    }
    return resolved;
  }

  /** The nearest tsconfig.json's scope from `folder` up to (not including) the project's folder. */
  private scopeOf(folder: string): ResolutionScope | undefined {
    if (this.scopeByFolder.has(folder)) return this.scopeByFolder.get(folder);
    let scope: ResolutionScope | undefined;
    const parent = path.dirname(folder);
    if (folder !== this.projectFolder && parent !== folder && path.basename(folder) !== 'node_modules') {
      const candidate = path.join(folder, 'tsconfig.json');
      scope = fs.existsSync(candidate) ? this.scopeFor(candidate) : this.scopeOf(parent);
    }
    this.scopeByFolder.set(folder, scope);
    return scope;
  }

  private scopeFor(tsconfigPath: string): ResolutionScope | undefined {
    if (this.scopeByTsconfig.has(tsconfigPath)) return this.scopeByTsconfig.get(tsconfigPath);
    const reading = readTsconfig(tsconfigPath);
    // A tsconfig that cannot be read resolves nothing of its own: the project's options apply.
    const options =
      reading.options && !reading.errors.some((error) => error.unreadable)
        ? analysisOptions(reading.options)
        : undefined;
    const scope = options && {
      options,
      cache: ts.createModuleResolutionCache(path.dirname(tsconfigPath), (name) => name, options),
    };
    this.scopeByTsconfig.set(tsconfigPath, scope);
    return scope;
  }
}

function isRelative(moduleName: string): boolean {
  return moduleName.startsWith('./') || moduleName.startsWith('../') || moduleName === '.' || moduleName === '..';
}

/** The options for a project without a usable tsconfig.json. */
export const DEFAULT_COMPILER_OPTIONS: ts.CompilerOptions = {
  ...ANALYSIS_OVERRIDES,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  esModuleInterop: true,
  experimentalDecorators: true,
  strict: true,
};

/**
 * The nearest tsconfig.json in `start` (a folder or a file's folder) or a folder above it. A folder
 * with only a tsconfig.base.json counts too: the root of an Nx-style monorepo has only that, and its
 * `paths` map the workspace libraries' import names to their sources.
 */
export function findTsconfig(start: string): string | undefined {
  let directory = fs.existsSync(start) && fs.statSync(start).isDirectory() ? start : path.dirname(start);
  for (;;) {
    for (const name of ['tsconfig.json', 'tsconfig.base.json']) {
      const candidate = path.join(directory, name);
      if (fs.existsSync(candidate)) return candidate;
    }
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

export interface TsconfigError {
  /** TypeScript's message, on one line. */
  message: string;
  /** The file could not be read, or is not JSON: nothing of it was used. */
  unreadable?: boolean;
  /** TS18003: no file matches its `include`/`files` (harmless when the roots are given). */
  noInputs?: boolean;
}

export interface TsconfigReading {
  /** The compiler options it sets (`extends` followed, `paths` resolved), unless it is unreadable. */
  options?: ts.CompilerOptions;
  errors: TsconfigError[];
}

/**
 * Reads a tsconfig.json the way TypeScript does, collecting its errors instead of throwing. The
 * file and the ones it `extends` are read bounded (files.ts); a file TypeScript's JSON parser
 * cannot take (nested too deeply) is unreadable, not a crash.
 */
export function readTsconfig(tsconfigPath: string): TsconfigReading {
  const read = readSourceFile(tsconfigPath);
  if (read.text === undefined) return { errors: [{ message: read.problem ?? 'cannot be read', unreadable: true }] };
  const unreadable = (error: unknown): TsconfigReading => ({
    errors: [
      {
        message: error instanceof RangeError ? 'it is nested too deeply to parse' : (error as Error).message,
        unreadable: true,
      },
    ],
  });
  let json: { config?: unknown; error?: ts.Diagnostic };
  try {
    json = ts.parseConfigFileTextToJson(tsconfigPath, read.text);
  } catch (error) {
    return unreadable(error);
  }
  if (json.error)
    return {
      errors: [
        { message: ts.flattenDiagnosticMessageText(json.error.messageText, '\n').split('\n')[0], unreadable: true },
      ],
    };
  const host: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    readDirectory: (...args) => ts.sys.readDirectory(...args),
    fileExists: (file) => ts.sys.fileExists(file),
    readFile: (file) => readSourceFile(file).text,
  };
  let parsed: ts.ParsedCommandLine;
  try {
    parsed = ts.parseJsonConfigFileContent(json.config, host, path.dirname(tsconfigPath), undefined, tsconfigPath);
  } catch (error) {
    return unreadable(error);
  }
  const errors = parsed.errors
    .filter((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)
    .map((diagnostic) => ({
      message: ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '),
      ...(diagnostic.code === 18003 ? { noInputs: true } : {}),
    }));
  return { options: parsed.options, errors };
}

/** The options a program is analysed with: the tsconfig's with ANALYSIS_OVERRIDES, or the defaults. */
export function analysisOptions(options: ts.CompilerOptions | undefined): ts.CompilerOptions {
  return options ? { ...options, ...ANALYSIS_OVERRIDES } : { ...DEFAULT_COMPILER_OPTIONS };
}

/**
 * How TypeScript's program decides a file's parse (its getCreateSourceFileOptions): internal to
 * TypeScript, present in 5.x and 6.x. Without them the closure is parsed with the target alone.
 */
const parseInternals = ts as unknown as {
  getEmitScriptTarget?: (options: ts.CompilerOptions) => ts.ScriptTarget;
  getSetExternalModuleIndicator?: (options: ts.CompilerOptions) => (file: ts.SourceFile) => void;
};

/** In-memory copies of TypeScript's lib files (ts-morph ships them; its compiler has no lib folder on disk). */
const LIB_FILES = new Map(
  getLibFiles().map((file) => [path.posix.join(libFolderInMemoryPath, file.fileName), file.text] as const),
);

/**
 * The CLI's program: the files to lint that matter (those that import a broker library, or call a
 * wrapper), the files they import, transitively, and the files the whole-project searches ask for,
 * rather than every file of the tsconfig (docs/model.md, "What the analysis cannot see";
 * ARCHITECTURE.md, "Program"). Any name the analysis resolves goes through imports, so it sees
 * what it would see in the full program. On real monorepos that is a few hundred files instead of
 * thousands. A file the analysis asks for later (a whole-project search's match, a wrapper's
 * caller) is added with its imports and the program rebuilt (unchanged files are reused, parsed
 * and bound once). A file too deep to parse reads as an empty stand-in.
 */
export class LoadedProgram {
  readonly warnings: string[] = [];
  /**
   * How each file's imports resolved while the program was built: containing file → module name →
   * the project file it resolved to, or undefined (an installed package, or nothing found). The
   * CLI's cache reads the files a consumer reaches from it (pipeline/cache.ts).
   */
  readonly resolutions = new Map<string, Map<string, string | undefined>>();
  private readonly options: ts.CompilerOptions;
  private readonly host: ts.CompilerHost;
  private readonly roots = new Set<string>();
  private readonly loaded = new Set<string>();
  /** Parsed files, by `real:` or `stub:` and name, so a rebuild reuses them. */
  private readonly sourceFiles = new Map<string, ts.SourceFile>();
  private readonly resolver: ModuleResolver;
  private current: ts.Program | undefined;
  private dirty = true;
  /** Loaded files whose imports loadImportClosure has loaded. */
  private readonly expanded = new Set<string>();
  /** Files whose imports are all loaded: what the analysis reads in them can no longer change. */
  private readonly settled = new WeakSet<ts.SourceFile>();
  /** Consumer reports kept across analyses of this program (pipeline/analyze.ts). */
  readonly reportCache = new ReportCache();
  /** The folders of the `contents` files, taken to exist. */
  private readonly overlayFolders = new Set<string>();
  /**
   * Real files, parsed in a guard (sources.ts): one too deep to parse or to bind is left out (it
   * reads as an empty stand-in) and named in `problems`.
   */
  private readonly cache = new SourceCache();
  /** The parsed real files handed to a program (not a stand-in for a file left out). */
  private readonly realFiles = new WeakSet<ts.SourceFile>();
  /** The text read for each real file. */
  private readonly texts = new Map<string, string>();
  /** How each file loaded is parsed (parseOptions). */
  private readonly parseOptionsByFile = new Map<string, ts.CreateSourceFileOptions>();
  /** What parseOptions gives every file, or undefined without TypeScript's internals. */
  private readonly sharedParseOptions: Omit<ts.CreateSourceFileOptions, 'impliedNodeFormat'> | undefined;
  /** How many of `loaded` takeNewlyLoaded has returned. */
  private taken = 0;

  constructor(
    rootFiles: readonly string[],
    readonly tsconfigPath: string | undefined,
    options: ts.CompilerOptions,
    /**
     * Texts to read instead of the disk's, by absolute path (standard input, fixes being tried): such
     * a path need not exist on disk, and its folder is taken to exist.
     */
    private readonly contents: ReadonlyMap<string, string> = new Map(),
    /** Whether files resolve with their own package's tsconfig (ModuleResolver); not under --project. */
    nestedResolution = false,
  ) {
    this.options = options;
    for (const file of contents.keys())
      for (let folder = path.dirname(file); !this.overlayFolders.has(folder); folder = path.dirname(folder)) {
        this.overlayFolders.add(folder);
        if (path.dirname(folder) === folder) break;
      }
    this.resolver = new ModuleResolver(options, tsconfigPath, nestedResolution);
    this.host = this.createHost();
    const { getEmitScriptTarget, getSetExternalModuleIndicator } = parseInternals;
    if (getEmitScriptTarget && getSetExternalModuleIndicator)
      this.sharedParseOptions = {
        languageVersion: getEmitScriptTarget(options),
        setExternalModuleIndicator: getSetExternalModuleIndicator(options),
        jsDocParsingMode: this.host.jsDocParsingMode,
      };
    this.addRoots(rootFiles);
  }

  /** The program as loaded so far. */
  get program(): ts.Program {
    if (this.dirty || !this.current) {
      const oldProgram = this.current;
      this.current = checkedProgram(
        () => ts.createProgram({ rootNames: [...this.roots], options: this.options, host: this.host, oldProgram }),
        this.cache,
      );
      this.dirty = false;
    }
    return this.current;
  }

  /** How many times a file of the project was parsed: once each, unless it changed. */
  get parses(): number {
    return this.cache.parses;
  }

  /** Files left out of the program (too deep to parse or bind, unreadable), with why. */
  get problems(): FileProblem[] {
    return this.cache.problems();
  }

  /** More files to analyse (callers of a wrapper): read in full. */
  addRoots(files: Iterable<string>): void {
    for (const file of files) {
      if (this.roots.has(file)) continue;
      this.roots.add(file);
      this.loaded.add(file);
      this.dirty = true;
    }
  }

  /**
   * The texts of the files read in full since the last call (the report cache checks its
   * whole-program searches against them).
   */
  takeNewlyLoaded(): string[] {
    const names = [...this.loaded].slice(this.taken);
    this.taken = this.loaded.size;
    return names.map((fileName) => this.sourceFile(fileName, this.parseOptions(fileName)).text);
  }

  /** Whether a file is read in full (not a stand-in). */
  isLoaded(fileName: string): boolean {
    return this.loaded.has(fileName);
  }

  /**
   * Reads these files in full, whether or not anything loaded imports them (a subclass, a
   * subscriber: analysis/source/project-sources.ts); returns how many were not read yet.
   */
  loadFiles(files: Iterable<string>): number {
    const before = this.loaded.size;
    for (const file of files) {
      if (this.loaded.has(file)) continue;
      this.roots.add(file);
      this.load(file);
    }
    if (this.loaded.size > before) this.dirty = true;
    return this.loaded.size - before;
  }

  /**
   * Loads everything the loaded files import, transitively; returns how many files that adds.
   * On real monorepos that closure is a few percent larger than what the analysis reads, and
   * loading it up front spares the rounds that would find it piecemeal, each re-building the
   * reports a round left unsettled (langfuse: 4 rounds and 107 report builds become 1 and 48).
   */
  loadImportClosure(): number {
    const before = this.loaded.size;
    // A Set's iteration visits what is added during it: the loop runs until the closure is complete.
    for (const fileName of this.loaded) {
      if (this.expanded.has(fileName)) continue;
      this.expanded.add(fileName);
      const sourceFile = this.sourceFile(fileName, this.parseOptions(fileName));
      if (!this.realFiles.has(sourceFile)) continue; // left out: a stand-in imports nothing
      for (const target of this.importsOf(sourceFile)) this.load(target);
    }
    if (this.loaded.size > before) this.dirty = true;
    return this.loaded.size - before;
  }

  /**
   * Whether a file is loaded for real, and so is everything it imports: names resolved from it
   * resolve the same in every later program.
   */
  isSettled(sourceFile: ts.SourceFile): boolean {
    if (this.settled.has(sourceFile)) return true;
    const real = LIB_FILES.has(sourceFile.fileName) || this.realFiles.has(sourceFile);
    if (!real) return false;
    if (!this.importsOf(sourceFile).every((target) => this.loaded.has(target) || LIB_FILES.has(target))) return false;
    this.settled.add(sourceFile);
    return true;
  }

  private importsOf(sourceFile: ts.SourceFile): string[] {
    return this.resolvedImports(sourceFile, moduleSpecifiers(sourceFile));
  }

  /**
   * Loads a file, and what it re-exports (`export * from './x'`, `export { A } from './a'`): a
   * barrel's names resolve through it without the analysis ever asking about its own nodes.
   */
  private load(fileName: string): void {
    if (this.loaded.has(fileName) || LIB_FILES.has(fileName)) return;
    this.loaded.add(fileName);
    const sourceFile = this.sourceFile(fileName, this.parseOptions(fileName));
    const reexported = sourceFile.statements.flatMap((statement) =>
      ts.isExportDeclaration(statement) &&
      statement.moduleSpecifier &&
      ts.isStringLiteralLike(statement.moduleSpecifier)
        ? [statement.moduleSpecifier.text]
        : [],
    );
    for (const target of this.resolvedImports(sourceFile, reexported)) this.load(target);
  }

  /**
   * The options the program parses a file with (TypeScript's getCreateSourceFileOptions: the
   * target, the file's module format from its package.json, how modules are detected). The
   * closure is parsed with them, so that the program takes those parses from the cache: parsed
   * with the target alone, every file was parsed a second time (gauzy: 7,657 parses of 3,829 files).
   */
  private parseOptions(fileName: string): ts.CreateSourceFileOptions | ts.ScriptTarget {
    const shared = this.sharedParseOptions;
    if (!shared) return this.options.target ?? ts.ScriptTarget.ES2022;
    let known = this.parseOptionsByFile.get(fileName);
    if (known === undefined) {
      const packageJsons = this.resolver.cache.getPackageJsonInfoCache();
      const impliedNodeFormat = ts.getImpliedNodeFormatForFile(fileName, packageJsons, this.host, this.options);
      known = { ...shared, impliedNodeFormat };
      this.parseOptionsByFile.set(fileName, known);
    }
    return known;
  }

  private resolvedImports(sourceFile: ts.SourceFile, specifiers: string[]): string[] {
    return this.resolve(specifiers, sourceFile.fileName).flatMap((module) => (module ? [module.resolvedFileName] : []));
  }

  /** The project file an import resolves to from `containingFile`, as the program resolves it (not recorded). */
  resolveImport(moduleName: string, containingFile: string): string | undefined {
    const [resolved] = this.resolver.resolve([moduleName], containingFile, this.host);
    return resolved && path.resolve(resolved.resolvedFileName);
  }

  /** Resolves module names as the program does, and records the result in `resolutions`. */
  private resolve(moduleNames: string[], containingFile: string): (ts.ResolvedModuleFull | undefined)[] {
    const resolved = this.resolver.resolve(moduleNames, containingFile, this.host);
    const file = path.resolve(containingFile);
    const byName = this.resolutions.get(file) ?? new Map<string, string | undefined>();
    moduleNames.forEach((name, index) => byName.set(name, resolved[index]?.resolvedFileName));
    this.resolutions.set(file, byName);
    return resolved;
  }

  private createHost(): ts.CompilerHost {
    const base = ts.createCompilerHost(this.options);
    // One run sees one state of the disk: module resolution asks the same questions many times.
    const fileExists = memoize(
      (fileName: string) =>
        LIB_FILES.has(fileName) || this.contents.has(path.resolve(fileName)) || base.fileExists(fileName),
    );
    const directoryExists = memoize(
      (directory: string) =>
        directory === libFolderInMemoryPath ||
        this.overlayFolders.has(path.resolve(directory)) ||
        (base.directoryExists?.(directory) ?? true),
    );
    const host: ts.CompilerHost = {
      ...base,
      getDefaultLibFileName: (options) => path.posix.join(libFolderInMemoryPath, ts.getDefaultLibFileName(options)),
      getDefaultLibLocation: () => libFolderInMemoryPath,
      fileExists,
      readFile: (fileName) =>
        LIB_FILES.get(fileName) ?? this.contents.get(path.resolve(fileName)) ?? base.readFile(fileName),
      directoryExists,
      realpath: (fileName) =>
        this.contents.has(path.resolve(fileName)) ? path.resolve(fileName) : (base.realpath?.(fileName) ?? fileName),
      getSourceFile: (fileName, languageVersion) => this.sourceFile(fileName, languageVersion),
      resolveModuleNames: (moduleNames, containingFile) => this.resolve(moduleNames, containingFile),
      getModuleResolutionCache: () => this.resolver.cache,
      resolveTypeReferenceDirectives: (names) => names.map(() => undefined),
    };
    return host;
  }

  private sourceFile(fileName: string, languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.SourceFile {
    const lib = LIB_FILES.get(fileName);
    const real = lib !== undefined || this.loaded.has(fileName);
    const key = `${real ? 'real' : 'stub'}:${fileName}`;
    if (real && lib === undefined) {
      // Read bounded (once: one run sees one state of the disk), parsed in a guard; a file left
      // out reads as an empty stand-in.
      let text = this.texts.get(fileName);
      if (text === undefined) {
        text = readSourceFile(path.resolve(fileName), this.contents).text ?? '';
        this.texts.set(fileName, text);
      }
      const parsed = this.cache.get(fileName, text, languageVersion);
      if (parsed.sourceFile) {
        this.realFiles.add(parsed.sourceFile);
        return parsed.sourceFile;
      }
    }
    const stubKey = real && lib === undefined ? `stub:${fileName}` : key;
    let sourceFile = this.sourceFiles.get(stubKey);
    if (!sourceFile) {
      sourceFile = ts.createSourceFile(fileName, lib ?? '', languageVersion, true);
      this.sourceFiles.set(stubKey, sourceFile);
    }
    return sourceFile;
  }
}

function memoize(answer: (name: string) => boolean): (name: string) => boolean {
  const answers = new Map<string, boolean>();
  return (name) => {
    let known = answers.get(name);
    if (known === undefined) {
      known = answer(name);
      answers.set(name, known);
    }
    return known;
  };
}

/** The module specifiers a file imports, re-exports, requires or imports dynamically. */
const moduleSpecifiers = perParsedFile(collectModuleSpecifiers);

function collectModuleSpecifiers(sourceFile: ts.SourceFile): string[] {
  const specifiers: string[] = [];
  const literal = (node: ts.Node | undefined): void => {
    if (node && ts.isStringLiteralLike(node)) specifiers.push(node.text);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      literal(node.moduleReference.expression);
    else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    )
      literal(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) literal(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return specifiers;
}

/**
 * The CLI's program: the given root files with the project's compiler options. A tsconfig with
 * errors stops an explicit --project (LintInputError) and is otherwise replaced by the defaults.
 * `contents` are texts read instead of the disk's; the rest is read from disk, bounded.
 */
export function loadProgram(
  rootFiles: readonly string[],
  tsconfigPath: string | undefined,
  explicit: boolean,
  workspaceRoot?: string,
  /** Texts to read instead of the disk's, by absolute path (see LoadedProgram). */
  contents?: ReadonlyMap<string, string>,
): LoadedProgram {
  const warnings: string[] = [];
  let options: ts.CompilerOptions | undefined;
  if (tsconfigPath) {
    const reading = readTsconfig(tsconfigPath);
    // The roots are the broker files, not the tsconfig's `include`: "no inputs" is not a problem here.
    const [first] = reading.errors.filter((error) => !error.noInputs);
    if (first?.unreadable || !reading.options) {
      const message = first?.unreadable
        ? `${tsconfigPath} could not be read (${first.message})`
        : `${tsconfigPath}: ${first?.message ?? 'no compiler options'}`;
      if (explicit) throw new LintInputError(message);
      warnings.push(`${message}; analysing with default compiler options`);
    } else {
      // An `extends` that is not installed, an unknown option: the project's own options (its
      // `paths`, say) still hold; only what the missing file would have added is lost.
      if (first)
        warnings.push(
          `${tsconfigPath}: ${first.message.replace(/\.$/, '')}; analysing with the options it sets itself`,
        );
      options = reading.options;
    }
  } else {
    warnings.push('no tsconfig.json found; analysing with default compiler options');
  }
  const compilerOptions = analysisOptions(options);
  // Sibling packages of a monorepo that was never installed: map their names to their sources.
  const root = workspaceRoot ?? (tsconfigPath ? path.dirname(tsconfigPath) : undefined);
  const paths = root ? workspacePaths(root, compilerOptions.paths) : undefined;
  if (paths) compilerOptions.paths = paths;
  const loaded = new LoadedProgram(rootFiles, tsconfigPath, compilerOptions, contents, !explicit);
  loaded.warnings.push(...warnings);
  return loaded;
}
