/**
 * How source text becomes the TypeScript programs the analysis runs on, for the CLI and the
 * language server alike (one compiler host, `createAnalysisHost`):
 *
 * - text is read with the bounded reader (files.ts), or comes from the editor's buffers;
 * - every file is parsed here, one at a time, inside a guard: a file the parser cannot take
 *   (TypeScript's parser recurses, and 800 nested parentheses exhaust the stack) or whose syntax
 *   tree is nested deeper than MAX_NESTING (the binder, the checker and the analysis recurse too)
 *   is left out of the program, with a problem that names it, and every other file is analysed;
 * - parsed files are cached by text, so a program made again after an edit reuses every file but
 *   the edited one (which is re-parsed incrementally), and TypeScript reuses the program's
 *   structure; the ES library files are parsed once per process and shared by every program.
 *
 * Installed packages are never read (program.ts, `resolveProjectModules`).
 */
import * as path from 'node:path';
import { getLibFiles, libFolderInMemoryPath } from '@ts-morph/common';
import { ts } from 'ts-morph';
import { readSourceFile } from './files';

/**
 * The deepest syntax tree the analysis takes. TypeScript's binder and checker and the analysis
 * walk trees recursively; past this depth a file could exhaust the stack for every file of the
 * program (the binder fails from about 1,200 levels on a chain of `&&`). Real code stays far below
 * it: a deeply nested handler is some 60 levels deep, a 500-term concatenation 500.
 */
export const MAX_NESTING = 1000;

const LIB_TEXTS = new Map(
  getLibFiles().map((file) => [path.posix.join(libFolderInMemoryPath, file.fileName), file.text]),
);

export function isLibFile(fileName: string): boolean {
  return LIB_TEXTS.has(fileName);
}

export interface ParsedSource {
  sourceFile?: ts.SourceFile;
  problem?: string;
  /** How deep its syntax tree is (up to just past MAX_NESTING). */
  depth?: number;
}

/** How deep a syntax tree is, walked without recursion; stops counting past `limit`. */
export function nestingDepth(root: ts.Node, limit = MAX_NESTING): number {
  const nodes: ts.Node[] = [root];
  const depths: number[] = [0];
  let deepest = 0;
  while (nodes.length) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > deepest) {
      deepest = depth;
      if (deepest > limit) return deepest;
    }
    ts.forEachChild(node, (child) => {
      nodes.push(child);
      depths.push(depth + 1);
    });
  }
  return deepest;
}

function judge(sourceFile: ts.SourceFile): ParsedSource {
  const depth = nestingDepth(sourceFile);
  if (depth > MAX_NESTING)
    return { problem: `is nested more than ${MAX_NESTING} levels deep; skipped (its consumers are not analysed)` };
  return { sourceFile, depth };
}

function failure(error: unknown): ParsedSource {
  if (error instanceof RangeError)
    return { problem: `is nested too deeply to parse; skipped (its consumers are not analysed)` };
  return { problem: `could not be parsed (${(error as Error).message}); skipped` };
}

/** Parses a file in a guard: a file TypeScript cannot take becomes a problem, never an exception. */
export function parseSource(
  fileName: string,
  text: string,
  languageVersionOrOptions: ts.ScriptTarget | ts.CreateSourceFileOptions,
): ParsedSource {
  try {
    return judge(ts.createSourceFile(fileName, text, languageVersionOrOptions, true));
  } catch (error) {
    return failure(error);
  }
}

/** The span of text that differs between two versions of a file (common prefix and suffix). */
function changeRange(before: string, after: string): ts.TextChangeRange {
  let start = 0;
  const shorter = Math.min(before.length, after.length);
  while (start < shorter && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let tail = 0;
  while (
    tail < shorter - start &&
    before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)
  )
    tail++;
  return ts.createTextChangeRange(ts.createTextSpan(start, before.length - tail - start), after.length - tail - start);
}

/** Options that change how a file parses: part of a cached file's key. */
function parseKey(languageVersionOrOptions: ts.ScriptTarget | ts.CreateSourceFileOptions): string {
  if (typeof languageVersionOrOptions === 'number') return String(languageVersionOrOptions);
  const { languageVersion, impliedNodeFormat, jsDocParsingMode } = languageVersionOrOptions;
  return `${languageVersion}:${impliedNodeFormat ?? ''}:${jsDocParsingMode ?? ''}`;
}

interface CachedSource {
  key: string;
  text: string;
  parsed: ParsedSource;
}

/** The library files, parsed once per process: every program of every project shares them. */
const libCache = new Map<string, CachedSource>();

/**
 * Parsed files by name, reused while their text is the same. A file whose text changed is parsed
 * again incrementally from its previous tree (which TypeScript then owns: a program holding it
 * must not be used again, so a cache serves one program at a time).
 */
export class SourceCache {
  private readonly entries = new Map<string, CachedSource>();
  /** Files left out whatever their text: TypeScript's binder could not take them. */
  private readonly excluded = new Map<string, string>();
  private parseCount = 0;

  /** How many times a project file was parsed (again after an edit, or for other options). */
  get parses(): number {
    return this.parseCount;
  }

  get(
    fileName: string,
    text: string,
    languageVersionOrOptions: ts.ScriptTarget | ts.CreateSourceFileOptions,
  ): ParsedSource {
    const excluded = this.excluded.get(fileName);
    if (excluded) return { problem: excluded };
    const key = parseKey(languageVersionOrOptions);
    const store = LIB_TEXTS.has(fileName) ? libCache : this.entries;
    const cached = store.get(fileName);
    if (cached && cached.key === key && cached.text === text) return cached.parsed;
    let parsed: ParsedSource | undefined;
    if (cached?.parsed.sourceFile && cached.key === key) {
      try {
        parsed = judge(ts.updateSourceFile(cached.parsed.sourceFile, text, changeRange(cached.text, text)));
      } catch {
        parsed = undefined; // parse it from scratch below
      }
    }
    parsed ??= parseSource(fileName, text, languageVersionOrOptions);
    if (store === this.entries) this.parseCount++;
    store.set(fileName, { key, text, parsed });
    return parsed;
  }

  /** Files left out of programs, with why. */
  problems(): { filePath: string; message: string }[] {
    return [
      ...[...this.entries]
        .filter(([fileName, entry]) => entry.parsed.problem && !this.excluded.has(fileName))
        .map(([filePath, entry]) => ({ filePath, message: entry.parsed.problem! })),
      ...[...this.excluded].map(([filePath, message]) => ({ filePath, message })),
    ];
  }

  /** The deepest file of a program that is not left out yet. */
  deepestIn(program: ts.Program): string | undefined {
    let deepest: { fileName: string; depth: number } | undefined;
    for (const sourceFile of program.getSourceFiles()) {
      const depth = this.entries.get(sourceFile.fileName)?.parsed.depth;
      if (depth !== undefined && (!deepest || depth > deepest.depth))
        deepest = { fileName: sourceFile.fileName, depth };
    }
    return deepest?.fileName;
  }

  /** Leaves a file out of every later program. */
  exclude(fileName: string, problem: string): void {
    this.excluded.set(fileName, problem);
  }

  delete(fileName: string): void {
    this.entries.delete(fileName);
    this.excluded.delete(fileName);
  }

  /** Forgets every parsed file (the files of a program whose binding failed may be half bound). */
  clear(): void {
    this.entries.clear();
  }
}

/**
 * Makes a program whose type checker can be created. Creating it binds every file, recursively: a
 * file nested too deeply for the binder (below MAX_NESTING, on a stack already in use) throws for
 * the whole program. Then the deepest file is left out and named, every other file parsed afresh
 * (a half-bound tree is not reused), and the program made again.
 */
export function checkedProgram(make: () => ts.Program, cache: SourceCache): ts.Program {
  for (let attempt = 0; ; attempt++) {
    const program = make();
    try {
      program.getTypeChecker();
      return program;
    } catch (error) {
      const deepest = error instanceof RangeError && attempt < 8 ? cache.deepestIn(program) : undefined;
      if (!deepest) throw error;
      cache.exclude(deepest, `is nested too deeply for TypeScript's binder; skipped (its consumers are not analysed)`);
      cache.clear();
    }
  }
}

export interface AnalysisHostOptions {
  options: ts.CompilerOptions;
  cache: SourceCache;
  /** The text of a file: the editor's buffer or the disk; undefined when there is none. */
  readText: (fileName: string) => string | undefined;
  /** Module resolution for a file (program.ts, `resolveProjectModules`). */
  resolveModuleNames: ts.CompilerHost['resolveModuleNames'];
  /** The cache of that resolution (ModuleResolver.cache), which the program reads package.json files through. */
  moduleResolutionCache?: ts.ModuleResolutionCache;
  currentDirectory: string;
  /** Whether a file's module resolutions must be redone (a file was created or removed). */
  hasInvalidatedResolutions?: (fileName: string) => boolean;
  /** Files known to exist without a look at the disk (editor buffers). */
  known?: (fileName: string) => boolean;
}

/** The compiler host every analysis program is made with: bounded reads, guarded parses, shared libraries. */
export function createAnalysisHost(host: AnalysisHostOptions): ts.CompilerHost {
  const readFile = (fileName: string): string | undefined => LIB_TEXTS.get(fileName) ?? host.readText(fileName);
  return {
    getSourceFile: (fileName, languageVersionOrOptions) => {
      const text = readFile(fileName);
      if (text === undefined) return undefined;
      return host.cache.get(fileName, text, languageVersionOrOptions).sourceFile;
    },
    getDefaultLibFileName: (options) => path.posix.join(libFolderInMemoryPath, ts.getDefaultLibFileName(options)),
    getDefaultLibLocation: () => libFolderInMemoryPath,
    writeFile: () => undefined,
    getCurrentDirectory: () => host.currentDirectory,
    getCanonicalFileName: (fileName) => (ts.sys.useCaseSensitiveFileNames ? fileName : fileName.toLowerCase()),
    useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
    getNewLine: () => '\n',
    fileExists: (fileName) => LIB_TEXTS.has(fileName) || !!host.known?.(fileName) || ts.sys.fileExists(fileName),
    // package.json and the like, during module resolution: bounded like sources.
    readFile: (fileName) => LIB_TEXTS.get(fileName) ?? readSourceFile(fileName).text,
    directoryExists: (directory) => directory === libFolderInMemoryPath || ts.sys.directoryExists(directory),
    getDirectories: (directory) => ts.sys.getDirectories(directory),
    realpath: ts.sys.realpath && ((fileName) => (LIB_TEXTS.has(fileName) ? fileName : ts.sys.realpath!(fileName))),
    resolveModuleNames: host.resolveModuleNames,
    getModuleResolutionCache: host.moduleResolutionCache && (() => host.moduleResolutionCache),
    resolveTypeReferenceDirectives: (names) => names.map(() => undefined),
    hasInvalidatedResolutions: host.hasInvalidatedResolutions
      ? (filePath) => host.hasInvalidatedResolutions!(filePath)
      : undefined,
  };
}
