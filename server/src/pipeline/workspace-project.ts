/**
 * The language server's program: a project per workspace folder (the folder's broker files are its
 * roots), or one shared project for the files open outside any folder (its roots are those files,
 * and no folder is scanned for them). Programs are made through the same compiler host as the
 * CLI's (sources.ts): bounded reads, guarded parses, files cached by text so that a program made
 * after an edit re-parses the edited file only (incrementally) and TypeScript reuses the rest of
 * its structure.
 *
 * A project holds no editor state beyond the text of the open files; the server frees it when its
 * last file closes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ts } from 'ts-morph';
import { analyzeFiles, analyzeFilesInSlices } from './analyze';
import { collectFiles, isSourceFile, readSourceFile } from './files';
import type { AnalysisResult, FileProblem } from '../model';
import { mentionsBroker } from './prefilter';
import { ModuleResolver, analysisOptions, findTsconfig, readTsconfig } from './program';
import { EditorReportCache } from './reads';
import { SourceCache, checkedProgram, createAnalysisHost, isLibFile } from './sources';
import { ConfigError, findConfigFile } from '../config/load';
import { loadProjectConfig } from './config';
import { DEFAULT_CONFIG, type ResolvedConfig } from '../config/resolved-config';
import type { BudgetLimits } from '../analysis/dataflow/budget';
import { perObject } from '../analysis/source/ast';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * A delivery-lint.config.json the project cannot use (invalid JSON, an unknown key or rule): the
 * error as the CLI prints it, where it is, and what is used instead while it stays broken.
 */
export interface ConfigProblem {
  message: string;
  /** The config file, when one was found. */
  filePath?: string;
  /** 1-based, when the error names a position. */
  line?: number;
  column?: number;
  /** `last-valid`: the config the file had before it broke; `defaults`: it was never valid in this session. */
  fallback: 'last-valid' | 'defaults';
}

export interface ProjectAnalysis {
  files: readonly string[];
  budget?: BudgetLimits;
  /** A file whose result is no longer wanted (its buffer changed): its consumers are skipped. */
  isStale?: (filePath: string) => boolean;
}

export class WorkspaceProject {
  config: ResolvedConfig = structuredClone(DEFAULT_CONFIG);
  /** Set while delivery-lint.config.json cannot be used. */
  configProblem: ConfigProblem | undefined;
  /** The last config file that loaded, kept in use while the file is broken. */
  private lastValidConfig: ResolvedConfig | undefined;
  tsconfigPath: string | undefined;
  private options: ts.CompilerOptions = {};
  /**
   * Module resolution with each file's own package's tsconfig: made with the compiler options
   * (loadCompilerOptions), and again when files come or go.
   */
  private resolver!: ModuleResolver;
  /** The host the current program was made with: imports resolve through it as they did for the program. */
  private host: ts.CompilerHost | undefined;
  /** What each parsed file's imports resolve to, by resolver (importedFiles). */
  private readonly importTargets = perObject((resolver: ModuleResolver) =>
    perObject((sourceFile: ts.SourceFile) => this.resolveImports(resolver, sourceFile)),
  );
  private readonly overlays = new Map<string, string>();
  private readonly diskTexts = new Map<string, string | undefined>();
  private rootFiles = new Set<string>();
  private cache = new SourceCache();
  private program: ts.Program | undefined;
  /** The program must be made again: a text, a root or the options changed. */
  private stale = true;
  /** A file was created or removed: module resolutions are redone for every file. */
  private resolutionsInvalidated = false;
  private lastScanSummary = '';
  /** Reports reused across edits while what they read is unchanged. */
  private readonly reports = new EditorReportCache();

  /**
   * `root`: the workspace folder; undefined for the shared project of loose files, which reads no
   * config file and no tsconfig (the defaults and the editor's settings apply).
   */
  constructor(
    readonly root: string | undefined,
    private readonly logger: Logger,
    private readonly settingsOverrides: () => Partial<ResolvedConfig>,
  ) {
    this.reload();
  }

  /**
   * The editor's settings changed: they are layered over the config again. They name rules and a
   * guard strategy, nothing the program is made from, so its parsed files stay (reload would
   * parse the project again: at start-up the settings arrive while the first program is made).
   * The reports and summaries made under the old config are not reused (EditorReportCache.begin
   * sees a new config); the checker's answers carried between programs are, as they do not depend
   * on it.
   */
  settingsChanged(): void {
    const ignore = JSON.stringify(this.config.ignore);
    this.loadConfig();
    if (JSON.stringify(this.config.ignore) !== ignore) return this.reload(); // the config file changed meanwhile
  }

  /** Re-reads tsconfig and delivery-lint.config.json and rescans the folder (watched-file changes). */
  reload(): void {
    this.reports.clear();
    this.loadConfig();
    this.loadCompilerOptions();
    this.scanRootFiles();
    this.diskTexts.clear();
    this.cache = new SourceCache();
    this.program = undefined;
    this.stale = true;
  }

  owns(filePath: string): boolean {
    if (this.root === undefined) return this.overlays.has(filePath);
    return (
      filePath === this.root || filePath.startsWith(this.root.endsWith(path.sep) ? this.root : this.root + path.sep)
    );
  }

  /** The number of files open in the editor that this project holds. */
  get openFiles(): number {
    return this.overlays.size;
  }

  /** The editor's text for an open file. */
  setOverlay(filePath: string, text: string): void {
    // Opening a file shows the program nothing new when the buffer holds what the disk does.
    const unchanged = (this.overlays.get(filePath) ?? this.readDisk(filePath)) === text;
    this.overlays.set(filePath, text);
    if (unchanged && (this.rootFiles.has(filePath) || !isSourceFile(filePath))) return;
    this.touch(filePath, text);
  }

  clearOverlay(filePath: string): void {
    this.overlays.delete(filePath);
    this.diskTexts.delete(filePath);
    if (this.root === undefined) {
      // A loose file closed: it leaves the program, and so does what only it imported.
      this.rootFiles.delete(filePath);
      this.cache.delete(filePath);
      this.stale = true;
      return;
    }
    this.touch(filePath, this.readDisk(filePath));
  }

  /** A file changed on disk (not open in the editor); `createdOrDeleted` redoes module resolution. */
  fileChangedOnDisk(filePath: string, createdOrDeleted = false): void {
    this.diskTexts.delete(filePath);
    if (createdOrDeleted) this.resolutionsInvalidated = true;
    if (!this.overlays.has(filePath)) this.touch(filePath, this.readDisk(filePath));
    this.stale = true;
  }

  isBrokerFile(filePath: string): boolean {
    return this.rootFiles.has(filePath);
  }

  /** The program over the current texts, made again only when something changed. */
  getProgram(): ts.Program {
    if (this.program && !this.stale) return this.program;
    const oldProgram = this.program;
    this.program = undefined; // if making it throws, the next call starts afresh
    const invalidated = this.resolutionsInvalidated;
    this.resolutionsInvalidated = false;
    const host = this.compilerHost(invalidated);
    this.host = host;
    this.program = checkedProgram(
      () =>
        ts.createProgram({
          rootNames: [...this.rootFiles],
          options: this.options,
          host,
          oldProgram: invalidated ? undefined : oldProgram,
        }),
      this.cache,
    );
    this.stale = false;
    return this.program;
  }

  /**
   * The host a program is made with, which the program keeps. Made here, apart from getProgram:
   * closures made in one scope share its variables, so a host made beside `oldProgram` would keep
   * the previous program alive, and each program every one before it.
   */
  private compilerHost(invalidated: boolean): ts.CompilerHost {
    if (invalidated) this.resolver = this.newResolver();
    const resolver = this.resolver;
    const host = createAnalysisHost({
      options: this.options,
      cache: this.cache,
      readText: (fileName) => this.overlays.get(fileName) ?? this.readDisk(fileName),
      resolveModuleNames: (moduleNames, containingFile) => resolver.resolve(moduleNames, containingFile, host),
      moduleResolutionCache: resolver.cache,
      currentDirectory: this.root ?? process.cwd(),
      hasInvalidatedResolutions: () => invalidated,
      known: (fileName) => this.overlays.has(fileName),
    });
    return host;
  }

  /** Files left out of the program (unparseable, nested too deeply), with why. */
  problems(): FileProblem[] {
    return this.cache.problems();
  }

  /** Lints the given files against the current program, in one go. */
  analyze(files: readonly string[], budget?: BudgetLimits): AnalysisResult {
    const program = this.getProgram();
    return analyzeFiles(this.analysisOptions(program, { files, budget }));
  }

  /** Lints the given files in slices (pausing between consumers); undefined when cancelled. */
  async analyzeInSlices(request: ProjectAnalysis, pause: () => Promise<void>): Promise<AnalysisResult | undefined> {
    const program = this.getProgram();
    return analyzeFilesInSlices(this.analysisOptions(program, request), pause);
  }

  private analysisOptions(program: ts.Program, request: ProjectAnalysis): Parameters<typeof analyzeFiles>[0] {
    const targets = request.files.filter((file) => program.getSourceFile(file));
    return {
      program: this.reports.begin(program, this.config, this.importTargets(this.resolver)),
      sources: this.reports.projectSources(),
      files: targets,
      brokerFiles: this.brokerFilesFor(program, targets),
      config: this.config,
      budget: request.budget,
      isStale: request.isStale,
      // Diagnostics first: a report's crash timeline is derived when a feature reads it (ensureTimeline).
      timelines: 'deferred',
      buildReport: (key, build) => this.reports.build(key, build),
    };
  }

  /**
   * Where wrappers the lint files call can be defined: the broker files among those the lint files
   * import, directly or through other files. Not the whole folder: an edit costs what the edited
   * file reaches, not what the folder holds.
   */
  private brokerFilesFor(program: ts.Program, files: readonly string[]): string[] {
    const seen = new Set<string>(files);
    const queue = [...files];
    while (queue.length) {
      const sourceFile = program.getSourceFile(queue.pop()!);
      if (!sourceFile) continue;
      for (const target of this.importedFiles(program, sourceFile)) {
        const fileName = target.fileName;
        if (seen.has(fileName) || isLibFile(fileName) || target.isDeclarationFile) continue;
        seen.add(fileName);
        queue.push(fileName);
      }
    }
    return [...seen].filter((file) => this.rootFiles.has(file) && this.isBrokerText(file));
  }

  /**
   * The program's files that a file's imports and re-exports name, as the program resolved them.
   * Asking the new checker of every edit for each module's symbol cost about 10 ms an edit on
   * amplication's controllers, for files the analysis may never read; the names a parsed file
   * resolves to are kept while the resolver is (a file created or deleted makes a new one).
   */
  private importedFiles(program: ts.Program, sourceFile: ts.SourceFile): ts.SourceFile[] {
    const targets = this.importTargets(this.resolver)(sourceFile);
    return targets.flatMap((fileName) => program.getSourceFile(fileName) ?? []);
  }

  private resolveImports(resolver: ModuleResolver, sourceFile: ts.SourceFile): string[] {
    const specifiers = sourceFile.statements.flatMap((statement) =>
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
      statement.moduleSpecifier &&
      ts.isStringLiteralLike(statement.moduleSpecifier)
        ? [statement.moduleSpecifier.text]
        : [],
    );
    if (!specifiers.length || !this.host) return [];
    return resolver
      .resolve(specifiers, sourceFile.fileName, this.host)
      .flatMap((module) => (module ? [module.resolvedFileName] : []));
  }

  private isBrokerText(filePath: string): boolean {
    const text = this.overlays.get(filePath) ?? this.readDisk(filePath);
    return text !== undefined && mentionsBroker(text);
  }

  /** The text the last analysis saw for a file (offsets in findings refer to it). */
  textOf(filePath: string): string | undefined {
    return this.overlays.get(filePath) ?? this.readDisk(filePath);
  }

  private touch(filePath: string, text: string | undefined): void {
    this.stale = true;
    if (!isSourceFile(filePath)) return;
    // Membership follows the text: a file that imports a broker is a root, and so is an open
    // file (it may call a wrapper that registers a consumer).
    const open = this.overlays.has(filePath);
    if (text !== undefined && (open || (this.root !== undefined && mentionsBroker(text)))) this.rootFiles.add(filePath);
    else this.rootFiles.delete(filePath);
  }

  private loadConfig(): void {
    const base = this.root === undefined ? structuredClone(DEFAULT_CONFIG) : this.loadConfigFile(this.root);
    const overrides = this.settingsOverrides();
    this.config = { ...base, ...overrides, rules: { ...base.rules, ...(overrides.rules ?? {}) } };
  }

  /** The folder's delivery-lint.config.json; while it is broken, the last valid one (or the defaults). */
  private loadConfigFile(root: string): ResolvedConfig {
    try {
      const base = loadProjectConfig(root);
      this.lastValidConfig = base;
      this.configProblem = undefined;
      return base;
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : (error as Error).message;
      const fallback = this.lastValidConfig ? 'last-valid' : 'defaults';
      const position = /:(\d+):(\d+):/.exec(message);
      this.configProblem = {
        message,
        filePath: findConfigFile(root),
        ...(position ? { line: Number(position[1]), column: Number(position[2]) } : {}),
        fallback,
      };
      this.logger.warn(
        `delivery-lint: ${message}; using ${fallback === 'last-valid' ? 'the last valid configuration' : 'the default configuration'} until it is fixed`,
      );
      return this.lastValidConfig ?? structuredClone(DEFAULT_CONFIG);
    }
  }

  private loadCompilerOptions(): void {
    this.tsconfigPath = this.root === undefined ? undefined : findTsconfig(this.root);
    this.options = this.readCompilerOptions(this.tsconfigPath);
    this.resolver = this.newResolver();
  }

  private readCompilerOptions(tsconfigPath: string | undefined): ts.CompilerOptions {
    if (!tsconfigPath) {
      if (this.root !== undefined)
        this.logger.info(`delivery-lint: no tsconfig.json above ${this.root}; using default compiler options`);
      return analysisOptions(undefined);
    }
    const reading = readTsconfig(tsconfigPath);
    // The roots are the broker files, not the tsconfig's `include`: "no inputs" is not a problem here.
    for (const error of reading.errors.filter((candidate) => !candidate.noInputs).slice(0, 3))
      this.logger.warn(`delivery-lint: ${tsconfigPath}: ${error.message}`);
    return analysisOptions(reading.options);
  }

  private newResolver(): ModuleResolver {
    // The loose files' project has no folder of its own: its files resolve with the defaults.
    return new ModuleResolver(this.options, this.tsconfigPath, this.root !== undefined);
  }

  private scanRootFiles(): void {
    this.rootFiles = new Set();
    if (this.root === undefined) {
      // Loose files: the open ones are the roots, and nothing around them is scanned.
      for (const file of this.overlays.keys()) this.rootFiles.add(file);
      return;
    }
    const collected = collectFiles([this.root], this.root, this.config.ignore);
    for (const problem of collected.problems)
      this.logger.warn(`delivery-lint: ${problem.filePath}: ${problem.message}`);
    for (const file of collected.files) {
      const text = this.overlays.get(file) ?? this.readDisk(file);
      if (text !== undefined && mentionsBroker(text)) this.rootFiles.add(file);
    }
    for (const [file, text] of this.overlays) if (isSourceFile(file) || mentionsBroker(text)) this.rootFiles.add(file);
    const summary = `delivery-lint: ${this.rootFiles.size} of ${collected.files.length} files in ${this.root} import a broker library`;
    if (summary !== this.lastScanSummary) this.logger.info(summary);
    this.lastScanSummary = summary;
  }

  /** A file's text on disk, read bounded (files.ts) and kept until it changes. */
  private readDisk(filePath: string): string | undefined {
    if (this.diskTexts.has(filePath)) return this.diskTexts.get(filePath);
    const read = readSourceFile(filePath);
    // A file that is not there is no problem here: a buffer not saved yet, or a file just removed
    // (a dangling symlink in the folder is named by the folder scan).
    if (
      read.problem &&
      this.root !== undefined &&
      this.owns(filePath) &&
      isSourceFile(filePath) &&
      fs.existsSync(filePath)
    )
      this.logger.warn(`delivery-lint: ${filePath}: ${read.problem}`);
    this.diskTexts.set(filePath, read.text);
    return read.text;
  }
}
