/**
 * The language server's program: one analysed project per workspace folder, kept alive across edits. Text reaches TypeScript as
 * versioned snapshots through a LanguageService, so an edit re-parses one file and the program's
 * structure is reused; nothing is rebuilt per keystroke.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getLibFiles, libFolderInMemoryPath } from '@ts-morph/common';
import { ts } from 'ts-morph';
import { analyzeFiles } from './analyze';
import { collectFiles, isSourceFile, MAX_FILE_BYTES } from './files';
import type { AnalysisResult } from '../model';
import { mentionsBroker } from './prefilter';
import { EditorReportCache } from './reads';
import { analysisOptions, findTsconfig, readTsconfig, resolveProjectModules } from './program';
import { ConfigError, findConfigFile } from '../config/load';
import { loadProjectConfig } from './config';
import { DEFAULT_CONFIG, type ResolvedConfig } from '../config/resolved-config';

const LIB_FILES = new Map(
  getLibFiles().map((file) => [path.posix.join(libFolderInMemoryPath, file.fileName), file.text]),
);

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

export class WorkspaceProject {
  config: ResolvedConfig = structuredClone(DEFAULT_CONFIG);
  /** Set while delivery-lint.config.json cannot be used. */
  configProblem: ConfigProblem | undefined;
  /** The last config file that loaded, kept in use while the file is broken. */
  private lastValidConfig: ResolvedConfig | undefined;
  tsconfigPath: string | undefined;
  private options: ts.CompilerOptions = {};
  private service!: ts.LanguageService;
  private readonly versions = new Map<string, number>();
  private readonly overlays = new Map<string, string>();
  private readonly diskTexts = new Map<string, string | undefined>();
  private readonly snapshots = new Map<string, { version: string; snapshot: ts.IScriptSnapshot }>();
  private rootFiles = new Set<string>();
  private projectVersion = 0;
  private lastScanSummary = '';
  /** Reports reused across edits while what they read is unchanged. */
  private readonly reports = new EditorReportCache();

  constructor(
    readonly root: string,
    private readonly logger: Logger,
    private readonly settingsOverrides: () => Partial<ResolvedConfig>,
  ) {
    this.reload();
  }

  /** Re-reads tsconfig and delivery-lint.config.json and rescans the folder (watched-file changes). */
  reload(): void {
    this.reports.clear();
    this.loadConfig();
    this.loadCompilerOptions();
    this.scanRootFiles();
    this.diskTexts.clear();
    this.snapshots.clear();
    this.projectVersion++;
    this.service = ts.createLanguageService(this.host(), ts.createDocumentRegistry());
  }

  owns(filePath: string): boolean {
    return (
      filePath === this.root || filePath.startsWith(this.root.endsWith(path.sep) ? this.root : this.root + path.sep)
    );
  }

  /** The editor's text for an open file. */
  setOverlay(filePath: string, text: string): void {
    this.overlays.set(filePath, text);
    this.touch(filePath, text);
  }

  clearOverlay(filePath: string): void {
    this.overlays.delete(filePath);
    this.diskTexts.delete(filePath);
    this.touch(filePath, this.readDisk(filePath));
  }

  /** A file changed on disk (not open in the editor). */
  fileChangedOnDisk(filePath: string): void {
    this.diskTexts.delete(filePath);
    if (!this.overlays.has(filePath)) this.touch(filePath, this.readDisk(filePath));
  }

  isBrokerFile(filePath: string): boolean {
    return this.rootFiles.has(filePath);
  }

  /** Lints the given files against the current program. */
  analyze(files: readonly string[]): AnalysisResult {
    const program = this.service.getProgram();
    if (!program) return { consumers: [], findings: [], problems: [], filesLinted: [], filesAnalyzed: 0 };
    const targets = files.filter((file) => program.getSourceFile(file));
    const brokerFiles = [...this.rootFiles].filter(
      (file) => !this.overlays.has(file) || mentionsBroker(this.overlays.get(file)!),
    );
    const recording = this.reports.begin(program, this.config);
    return analyzeFiles({
      program: recording,
      files: targets,
      brokerFiles,
      config: this.config,
      buildReport: (key, build) => this.reports.build(key, build),
    });
  }

  /** The text the last analysis saw for a file (offsets in findings refer to it). */
  textOf(filePath: string): string | undefined {
    return this.overlays.get(filePath) ?? this.readDisk(filePath);
  }

  private touch(filePath: string, text: string | undefined): void {
    this.versions.set(filePath, (this.versions.get(filePath) ?? 0) + 1);
    this.projectVersion++;
    if (!isSourceFile(filePath)) return;
    // Membership follows the text: a file that imports a broker is a root, and so is an open
    // file (it may call a wrapper that registers a consumer).
    const open = this.overlays.has(filePath);
    if (text !== undefined && text.length <= MAX_FILE_BYTES && (open || mentionsBroker(text)))
      this.rootFiles.add(filePath);
    else this.rootFiles.delete(filePath);
  }

  private loadConfig(): void {
    let base: ResolvedConfig;
    try {
      base = loadProjectConfig(this.root);
      this.lastValidConfig = base;
      this.configProblem = undefined;
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : (error as Error).message;
      const fallback = this.lastValidConfig ? 'last-valid' : 'defaults';
      base = this.lastValidConfig ?? structuredClone(DEFAULT_CONFIG);
      const position = /:(\d+):(\d+):/.exec(message);
      this.configProblem = {
        message,
        filePath: findConfigFile(this.root),
        ...(position ? { line: Number(position[1]), column: Number(position[2]) } : {}),
        fallback,
      };
      this.logger.warn(
        `delivery-lint: ${message}; using ${fallback === 'last-valid' ? 'the last valid configuration' : 'the default configuration'} until it is fixed`,
      );
    }
    const overrides = this.settingsOverrides();
    this.config = { ...base, ...overrides, rules: { ...base.rules, ...(overrides.rules ?? {}) } };
  }

  private loadCompilerOptions(): void {
    this.tsconfigPath = findTsconfig(this.root);
    if (!this.tsconfigPath) {
      this.logger.info(`delivery-lint: no tsconfig.json above ${this.root}; using default compiler options`);
      this.options = analysisOptions(undefined);
      return;
    }
    const reading = readTsconfig(this.tsconfigPath);
    // The roots are the broker files, not the tsconfig's `include`: "no inputs" is not a problem here.
    for (const error of reading.errors.filter((candidate) => !candidate.noInputs).slice(0, 3))
      this.logger.warn(`delivery-lint: ${this.tsconfigPath}: ${error.message}`);
    this.options = analysisOptions(reading.options);
  }

  private scanRootFiles(): void {
    const collected = collectFiles([this.root], this.root, this.config.ignore);
    this.rootFiles = new Set();
    for (const file of collected.files) {
      const text = this.overlays.get(file) ?? this.readDisk(file);
      if (text !== undefined && text.length <= MAX_FILE_BYTES && mentionsBroker(text)) this.rootFiles.add(file);
    }
    for (const [file, text] of this.overlays) if (mentionsBroker(text)) this.rootFiles.add(file);
    const summary = `delivery-lint: ${this.rootFiles.size} of ${collected.files.length} files in ${this.root} import a broker library`;
    if (summary !== this.lastScanSummary) this.logger.info(summary);
    this.lastScanSummary = summary;
  }

  private readDisk(filePath: string): string | undefined {
    if (this.diskTexts.has(filePath)) return this.diskTexts.get(filePath);
    let text: string | undefined;
    try {
      text = fs.readFileSync(filePath, 'utf8');
    } catch {
      text = undefined;
    }
    this.diskTexts.set(filePath, text);
    return text;
  }

  private host(): ts.LanguageServiceHost {
    const host: ts.LanguageServiceHost = {
      getProjectVersion: () => String(this.projectVersion),
      getScriptFileNames: () => [...this.rootFiles],
      getScriptVersion: (fileName) => String(this.versions.get(fileName) ?? 0),
      getScriptSnapshot: (fileName) => {
        const lib = LIB_FILES.get(fileName);
        if (lib !== undefined) return ts.ScriptSnapshot.fromString(lib);
        const version = String(this.versions.get(fileName) ?? 0);
        const cached = this.snapshots.get(fileName);
        if (cached && cached.version === version) return cached.snapshot;
        const text = this.overlays.get(fileName) ?? this.readDisk(fileName);
        if (text === undefined) return undefined;
        const snapshot = ts.ScriptSnapshot.fromString(text);
        this.snapshots.set(fileName, { version, snapshot });
        return snapshot;
      },
      getCurrentDirectory: () => this.root,
      getCompilationSettings: () => this.options,
      getDefaultLibFileName: (options) => path.posix.join(libFolderInMemoryPath, ts.getDefaultLibFileName(options)),
      fileExists: (fileName) => LIB_FILES.has(fileName) || this.overlays.has(fileName) || ts.sys.fileExists(fileName),
      readFile: (fileName) => LIB_FILES.get(fileName) ?? this.overlays.get(fileName) ?? ts.sys.readFile(fileName),
      readDirectory: (...args) => ts.sys.readDirectory(...args),
      directoryExists: (directory) => directory === libFolderInMemoryPath || ts.sys.directoryExists(directory),
      getDirectories: (directory) => ts.sys.getDirectories(directory),
      realpath: ts.sys.realpath && ((file) => ts.sys.realpath!(file)),
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
      // Installed packages are never read, as in the CLI (pipeline/program.ts).
      resolveModuleNames: (moduleNames, containingFile) =>
        resolveProjectModules(moduleNames, containingFile, this.options, host),
      resolveTypeReferenceDirectives: (names) => names.map(() => undefined),
    };
    return host;
  }
}
