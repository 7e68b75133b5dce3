/**
 * The language server: keeps a WorkspaceProject per folder (and one shared project for files open
 * outside any folder) up to date with the editor's buffers, and answers code actions, hover, code
 * lens and the explainer's requests from the analysis of the document's current version.
 *
 * Scheduling: a change re-analyses the changed document and the open documents whose consumers
 * reach the changed file (a report names every file its analysis read), not every open document.
 * The analysis runs in slices, so messages are read between consumers: a document that changes
 * while it is analysed has its stale work skipped, a request whose answer is not ready waits for
 * it without blocking the server, and `$/cancelRequest` ends the wait. Only diagnostics that
 * changed (or belong to a new version) are published. A project is freed when its last open file
 * closes.
 *
 * Protocol hygiene: requests before `initialize` get -32002 and notifications are dropped (the
 * LSP specification); a broken input stream ends the process (lsp/main.ts).
 */
import * as path from 'node:path';
import {
  CancellationToken,
  CodeActionKind,
  CodeLensRefreshRequest,
  Connection,
  DidChangeConfigurationNotification,
  ErrorCodes,
  FileChangeType,
  InitializeParams,
  InitializeResult,
  LSPErrorCodes,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { AnalysisResult, ConsumerReport, Finding, PublicConsumerReport } from '../model';
import type { ResolvedConfig } from '../config/resolved-config';
import type { BudgetLimits } from '../analysis/dataflow/budget';
import { ensureTimeline } from '../analysis/report/build';
import { toConfiguredSeverity } from '../config/load';
import { pathOf, toDiagnostic, uriOf } from './convert';
import { codeActions, codeLenses, DocumentAnalysis, hover } from './features';
import {
  CONSUMER_REPORTS_REQUEST,
  ClientSettings,
  ConsumerReportsParams,
  FIX_ALL_KIND,
  MEMORY_REQUEST,
  MemoryReport,
  SETTINGS_SECTION,
  STATUS_NOTIFICATION,
  StatusParams,
} from './protocol';
import { WorkspaceProject } from '../pipeline/workspace-project';

/**
 * How long a change waits for the next keystroke before the analysis runs. Short: an analysis of
 * an edit takes tens of milliseconds, and changes that arrive while one runs are taken by the
 * next run (the timer is not pushed back by each keystroke, so typing never starves it).
 */
export const DEBOUNCE_MS = 10;

/** Documents analysed together in one slice of work: small, so a keystroke waits for little. */
export const BATCH_SIZE = 16;

/** What one consumer's analysis may take in the server: an editor must stay responsive. */
export const SERVER_BUDGET: Omit<BudgetLimits, 'cancelled'> = { milliseconds: 2_000, states: 500_000 };

/** How long after a project is freed the garbage is collected (closing many files frees many). */
const GC_DELAY_MS = 1_000;

export interface ServerOptions {
  /** A full garbage collection (lsp/main.ts provides V8's), run when projects were freed. */
  collectGarbage?: () => void;
}

const CONFIG_FILES = new Set(['tsconfig.json', 'delivery-lint.config.json', 'jsconfig.json']);

/** A document analysis and the version and files it was made from. */
interface Analyzed extends DocumentAnalysis {
  /** The files its consumers read: a change to one of them makes it stale. */
  reaches: ReadonlySet<string>;
}

export class DeliveryLintServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly projects = new Map<string, WorkspaceProject>();
  /** The shared project of the files open outside every workspace folder. */
  private looseProject: WorkspaceProject | undefined;
  private readonly analyses = new Map<string, Analyzed>();
  /** What was last published per document: its version and its diagnostics as JSON. */
  private readonly published = new Map<string, { version: number; key: string }>();
  /** Documents to analyse because their own text changed (or a request waits), in the order their need arose. */
  private readonly dirty = new Set<string>();
  /** Documents to analyse because a file they reach changed: after the dirty ones. */
  private readonly dependents = new Set<string>();
  private folders: string[] = [];
  private settings: ClientSettings = { enable: true, rules: {} };
  private supportsConfiguration = false;
  private supportsWorkspaceFolders = false;
  private supportsSnippetEdits = false;
  private supportsVersionedEdits = false;
  private supportsCodeLensRefresh = false;
  private supportsShowDocument = false;
  /** The config error last announced, so each new one is announced once. */
  private announcedConfigError: string | undefined;
  private initializeReceived = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Called when a batch of a run ends (requests waiting for a fresh analysis). */
  private runEnded: (() => void)[] = [];
  /** The projects of the run under way; a project freed meanwhile cancels it. */
  private runGeneration = 0;
  private lastStatus = '';

  private gcTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly options: ServerOptions = {},
  ) {}

  /**
   * The output channel, by level (window/logMessage: error, warning, info, log). A LogOutputChannel
   * (VS Code) filters by the level the user sets; `debug` goes out as MessageType.Log.
   */
  private readonly log = {
    error: (message: string) => this.connection.console.error(message),
    warn: (message: string) => this.connection.console.warn(message),
    info: (message: string) => this.connection.console.info(message),
    debug: (message: string) => this.connection.console.log(message),
  };

  listen(): void {
    const { connection } = this;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => this.whenReady(() => void this.initialized()));
    connection.onDidChangeConfiguration(() =>
      this.whenReady(() => void this.guard('configuration change', () => this.refreshSettings())),
    );
    connection.onDidChangeWatchedFiles((params) =>
      this.whenReady(() =>
        this.guard('watched files', () => {
          for (const change of params.changes) this.onWatchedFile(change.uri, change.type);
          this.schedule();
        }),
      ),
    );
    this.documents.onDidChangeContent((event) => this.guard('change', () => this.onText(event.document)));
    this.documents.onDidClose((event) => this.guard('close', () => this.onClose(event.document)));
    connection.onCodeAction((params, token) =>
      this.request('code action', params.textDocument.uri, token, [], (analysis) =>
        codeActions(analysis, params.range, params.context.only, {
          snippets: this.supportsSnippetEdits,
          versioned: this.supportsVersionedEdits,
        }),
      ),
    );
    connection.onHover((params, token) =>
      this.request(
        'hover',
        params.textDocument.uri,
        token,
        null,
        (analysis) => hover(analysis, params.position) ?? null,
      ),
    );
    connection.onCodeLens((params, token) =>
      this.request('code lens', params.textDocument.uri, token, [], (analysis) => codeLenses(analysis)),
    );
    connection.onRequest(CONSUMER_REPORTS_REQUEST, (params: ConsumerReportsParams, token: CancellationToken) =>
      this.request('consumer reports', params.uri, token, [], (analysis) => analysis.consumers.map(withoutPaths)),
    );
    connection.onRequest(MEMORY_REQUEST, (): MemoryReport | ResponseError<void> => {
      if (!this.initializeReceived) return notInitialized();
      this.options.collectGarbage?.();
      const usage = process.memoryUsage();
      return {
        rssMb: Math.round(usage.rss / 1048576),
        heapUsedMb: Math.round(usage.heapUsed / 1048576),
        collected: !!this.options.collectGarbage,
        projects: this.allProjects().length,
        openDocuments: this.documents.all().length,
      };
    });
    // Any other request: refused before `initialize`, unknown after.
    connection.onRequest((method: string) =>
      this.initializeReceived
        ? new ResponseError(ErrorCodes.MethodNotFound, `Unhandled method ${method}`)
        : notInitialized(),
    );
    this.documents.listen(this.gatedDocumentEvents());
    connection.listen();
  }

  /** The document notifications, dropped until `initialize` arrived (LSP: notifications before it are dropped). */
  private gatedDocumentEvents(): Connection {
    const { connection } = this;
    const gate =
      <E>(register: (handler: (event: E) => void) => unknown) =>
      (handler: (event: E) => void) =>
        register((event: E) => this.whenReady(() => handler(event)));
    return {
      onDidOpenTextDocument: gate(connection.onDidOpenTextDocument.bind(connection)),
      onDidChangeTextDocument: gate(connection.onDidChangeTextDocument.bind(connection)),
      onDidCloseTextDocument: gate(connection.onDidCloseTextDocument.bind(connection)),
      onWillSaveTextDocument: gate(connection.onWillSaveTextDocument.bind(connection)),
      onDidSaveTextDocument: gate(connection.onDidSaveTextDocument.bind(connection)),
      onWillSaveTextDocumentWaitUntil: (handler: (...args: unknown[]) => unknown) =>
        connection.onWillSaveTextDocumentWaitUntil((event, token) =>
          this.initializeReceived ? (handler(event, token) as []) : [],
        ),
    } as unknown as Connection;
  }

  private whenReady(run: () => void): void {
    if (this.initializeReceived) run();
  }

  private initialize(params: InitializeParams): InitializeResult {
    this.initializeReceived = true;
    this.supportsConfiguration = !!params.capabilities.workspace?.configuration;
    this.supportsWorkspaceFolders = !!params.capabilities.workspace?.workspaceFolders;
    this.supportsSnippetEdits = !!params.capabilities.workspace?.workspaceEdit?.snippetEditSupport;
    this.supportsVersionedEdits = !!params.capabilities.workspace?.workspaceEdit?.documentChanges;
    this.supportsCodeLensRefresh = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    this.supportsShowDocument = !!params.capabilities.window?.showDocument?.support;
    const folders =
      params.workspaceFolders?.map((folder) => pathOf(folder.uri)).filter((folder): folder is string => !!folder) ?? [];
    const root = params.rootUri ? pathOf(params.rootUri) : (params.rootPath ?? undefined);
    this.folders = folders.length ? folders : root ? [root] : [];
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] },
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'delivery-lint' },
    };
  }

  private async initialized(): Promise<void> {
    if (this.supportsConfiguration) {
      this.connection.client
        .register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION })
        .catch(() => undefined);
    }
    if (this.supportsWorkspaceFolders) {
      this.connection.workspace.onDidChangeWorkspaceFolders((event) =>
        this.guard('workspace folders', () => {
          for (const removed of event.removed) {
            const folder = pathOf(removed.uri);
            if (folder) this.freeProject(this.projects.get(folder));
            this.folders = this.folders.filter((existing) => existing !== folder);
          }
          for (const added of event.added) {
            const folder = pathOf(added.uri);
            if (folder) this.folders.push(folder);
          }
          // Open documents may now belong to another project.
          for (const project of [...this.projects.values(), this.looseProject]) if (project) this.freeProject(project);
          for (const document of this.documents.all()) {
            const filePath = pathOf(document.uri);
            if (filePath) this.projectFor(filePath).setOverlay(filePath, document.getText());
            this.dirty.add(document.uri);
          }
          this.schedule(0);
        }),
      );
    }
    await this.refreshSettings();
  }

  private async refreshSettings(): Promise<void> {
    if (this.supportsConfiguration) {
      try {
        const value = (await this.connection.workspace.getConfiguration({
          section: SETTINGS_SECTION,
        })) as Partial<ClientSettings> | null;
        this.settings = {
          enable: value?.enable ?? true,
          rules: value?.rules ?? {},
          guardStrategy: value?.guardStrategy ?? null,
        };
      } catch (error) {
        this.log.warn(`delivery-lint: could not read settings: ${(error as Error).message}`);
      }
    }
    for (const project of this.allProjects()) project.settingsChanged();
    this.runGeneration++;
    for (const uri of this.openUris()) this.dirty.add(uri);
    this.schedule(0);
  }

  /** Settings from the editor, layered over delivery-lint.config.json. */
  private settingsOverrides(): Partial<ResolvedConfig> {
    const rules: ResolvedConfig['rules'] = {};
    for (const [id, level] of Object.entries(this.settings.rules ?? {})) rules[id] = toConfiguredSeverity(level);
    return { rules, ...(this.settings.guardStrategy ? { guardStrategy: this.settings.guardStrategy } : {}) };
  }

  private allProjects(): WorkspaceProject[] {
    return [...this.projects.values(), ...(this.looseProject ? [this.looseProject] : [])];
  }

  private folderOf(filePath: string): string | undefined {
    return this.folders
      .filter((candidate) => filePath === candidate || filePath.startsWith(candidate + path.sep))
      .sort((a, b) => b.length - a.length)[0];
  }

  /** The project a file belongs to: its workspace folder's, or the shared one for loose files. */
  private projectFor(filePath: string): WorkspaceProject {
    const logger = {
      info: (message: string) => this.log.info(message),
      warn: (message: string) => this.log.warn(message),
    };
    const folder = this.folderOf(filePath);
    if (folder === undefined) {
      this.looseProject ??= new WorkspaceProject(undefined, logger, () => this.settingsOverrides());
      return this.looseProject;
    }
    let project = this.projects.get(folder);
    if (!project) {
      this.sendStatus({ state: 'loading', consumers: this.consumerCount() });
      project = new WorkspaceProject(folder, logger, () => this.settingsOverrides());
      this.projects.set(folder, project);
    }
    return project;
  }

  /** The project a file is in now, without making one. */
  private existingProjectFor(filePath: string): WorkspaceProject | undefined {
    const folder = this.folderOf(filePath);
    return folder === undefined ? this.looseProject : this.projects.get(folder);
  }

  private freeProject(project: WorkspaceProject | undefined): void {
    if (!project) return;
    if (project === this.looseProject) this.looseProject = undefined;
    else if (project.root !== undefined && this.projects.get(project.root) === project)
      this.projects.delete(project.root);
    this.runGeneration++; // a run over it stops at its next slice
    // Its program is garbage now; an idle server would hold the memory until the next edit.
    if (this.options.collectGarbage && !this.gcTimer)
      this.gcTimer = setTimeout(() => {
        this.gcTimer = undefined;
        if (!this.running) this.options.collectGarbage?.();
      }, GC_DELAY_MS);
  }

  private onText(document: TextDocument): void {
    const filePath = pathOf(document.uri);
    if (!filePath) return;
    this.projectFor(filePath).setOverlay(filePath, document.getText());
    this.markChanged(filePath, document.uri);
    const opened = !this.analyses.has(document.uri) && !this.published.has(document.uri);
    this.schedule(opened ? 0 : DEBOUNCE_MS);
  }

  /** A file's text changed: the document itself and the open documents that reach it are stale. */
  private markChanged(filePath: string, uri?: string): void {
    if (uri) this.dirty.add(uri);
    for (const [other, analysis] of this.analyses)
      if (other !== uri && analysis.reaches.has(filePath)) this.dependents.add(other);
  }

  private onClose(document: TextDocument): void {
    const filePath = pathOf(document.uri);
    this.analyses.delete(document.uri);
    this.dirty.delete(document.uri);
    this.dependents.delete(document.uri);
    if (this.published.delete(document.uri))
      void this.connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    if (!filePath) return;
    const project = this.existingProjectFor(filePath);
    if (!project) return;
    project.clearOverlay(filePath);
    // Its open dependents now read the file from disk.
    this.markChanged(filePath);
    if (project.openFiles === 0) this.freeProject(project);
    this.schedule();
    this.sendStatus({ state: 'ready', consumers: this.consumerCount() });
  }

  private onWatchedFile(uri: string, type: FileChangeType): void {
    const filePath = pathOf(uri);
    if (!filePath) return;
    for (const project of this.allProjects()) {
      if (!project.owns(filePath) && project !== this.looseProject) continue;
      if (CONFIG_FILES.has(path.basename(filePath))) {
        if (project.root === undefined || !project.owns(filePath)) continue;
        project.reload();
        this.runGeneration++;
        for (const document of this.documents.all())
          if (this.existingProjectFor(pathOf(document.uri) ?? '') === project) this.dirty.add(document.uri);
      } else if (!this.documents.get(uri) || type === FileChangeType.Deleted) {
        // A package.json's `imports` and `type` decide where `#name` imports lead and which files
        // are ES modules: its change redoes module resolution, as a file created or deleted does.
        const createdOrDeleted = type !== FileChangeType.Changed || path.basename(filePath) === 'package.json';
        project.fileChangedOnDisk(filePath, createdOrDeleted);
        this.markChanged(filePath);
        if (createdOrDeleted)
          for (const document of this.documents.all())
            if (this.existingProjectFor(pathOf(document.uri) ?? '') === project) this.dirty.add(document.uri);
      }
    }
  }

  private openUris(): string[] {
    return this.documents.all().map((document) => document.uri);
  }

  /** Runs the pending analyses after `delay`, unless a run is due or under way (it takes them). */
  private schedule(delay = DEBOUNCE_MS): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.running) this.running = this.runLoop().finally(() => (this.running = undefined));
    }, delay);
  }

  /** Analyses dirty documents, a few at a time, until none is left. */
  private async runLoop(): Promise<void> {
    try {
      while (this.dirty.size || this.dependents.size) {
        if (!this.settings.enable) {
          this.disable();
          break;
        }
        await this.guardAsync('analysis', async () => {
          const batch = this.nextBatch();
          if (batch) await this.analyzeBatch(batch.project, batch.documents);
        });
        this.notifyWaiting();
      }
    } finally {
      this.notifyWaiting();
      if (this.dirty.size || this.dependents.size) this.schedule(0);
    }
  }

  /** Requests waiting for an analysis look again. */
  private notifyWaiting(): void {
    const waiting = this.runEnded;
    this.runEnded = [];
    for (const resolve of waiting) resolve();
  }

  private disable(): void {
    this.dirty.clear();
    this.dependents.clear();
    this.analyses.clear();
    for (const uri of [...this.published.keys()]) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    this.published.clear();
    this.sendStatus({ state: 'ready', consumers: 0, message: 'disabled by deliveryLint.enable' });
  }

  /**
   * The next documents to analyse, of one project, at most BATCH_SIZE: those whose own text
   * changed first (the edited file is published before the files that reach it), oldest first.
   */
  private nextBatch(): { project: WorkspaceProject; documents: TextDocument[] } | undefined {
    const queue = this.dirty.size ? this.dirty : this.dependents;
    let project: WorkspaceProject | undefined;
    const documents: TextDocument[] = [];
    for (const uri of [...queue]) {
      const document = this.documents.get(uri);
      const filePath = pathOf(uri);
      if (!document || !filePath) {
        queue.delete(uri);
        continue;
      }
      const owner = this.projectFor(filePath);
      project ??= owner;
      if (owner !== project) continue;
      owner.setOverlay(filePath, document.getText());
      documents.push(document);
      queue.delete(uri);
      this.dependents.delete(uri);
      if (documents.length >= BATCH_SIZE) break;
    }
    return project && documents.length ? { project, documents } : undefined;
  }

  private async analyzeBatch(project: WorkspaceProject, documents: TextDocument[]): Promise<void> {
    const generation = this.runGeneration;
    const versions = new Map(documents.map((document) => [pathOf(document.uri)!, document.version]));
    const uriOfFile = new Map(documents.map((document) => [pathOf(document.uri)!, document.uri]));
    const isStale = (filePath: string): boolean => {
      const uri = uriOfFile.get(filePath);
      return uri !== undefined && this.documents.get(uri)?.version !== versions.get(filePath);
    };
    const texts = new Map(documents.map((document) => [pathOf(document.uri)!, document.getText()]));
    const started = performance.now();
    let result;
    try {
      result = await project.analyzeInSlices(
        {
          files: [...versions.keys()],
          isStale,
          budget: { ...SERVER_BUDGET, cancelled: () => generation !== this.runGeneration },
        },
        () => new Promise<void>((resolve) => setImmediate(resolve)),
      );
    } catch (error) {
      // The project could not even be made: every document of the batch shows nothing, and says why.
      for (const document of documents) this.record(document, project, texts, [], [], new Set());
      throw error;
    }
    if (!result) {
      // Cancelled (the project was freed or reloaded): what is still open is analysed again.
      for (const document of documents) if (this.documents.get(document.uri)) this.dirty.add(document.uri);
      return;
    }
    for (const problem of [...project.problems(), ...result.problems])
      if (versions.has(problem.filePath) || problem.message.startsWith('analysis failed'))
        this.log.error(`delivery-lint: ${problem.filePath}: ${problem.message}`);
    this.logAnalysis(versions.size, Math.round(performance.now() - started), result);
    for (const document of documents) {
      const filePath = pathOf(document.uri)!;
      const current = this.documents.get(document.uri);
      // Stale: the buffer changed after this analysis began; the document is dirty again.
      if (!current || current.version !== versions.get(filePath)) continue;
      const findings: Finding[] = result.findings.filter((finding) => finding.location.filePath === filePath);
      const consumers: ConsumerReport[] = result.consumers.filter(
        (consumer) => consumer.registration.location.filePath === filePath,
      );
      const reaches = new Set<string>([filePath]);
      for (const consumer of result.consumers)
        if (consumer.registration.location.filePath === filePath)
          for (const file of consumer.files ?? []) reaches.add(file);
      this.record(document, project, texts, findings, consumers, reaches);
    }
    this.sendStatus({ state: 'ready', consumers: this.consumerCount() });
    this.refreshCodeLenses();
  }

  /** What a batch found, for the output channel: a line per batch, a debug line per consumer. */
  private logAnalysis(files: number, elapsed: number, result: AnalysisResult): void {
    const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;
    const incomplete = result.consumers.filter((consumer) => consumer.incomplete).length;
    this.log.info(
      `analysed ${plural(files, 'open file')} in ${elapsed} ms: ${plural(result.consumers.length, 'consumer')}${incomplete ? ` (${incomplete} not fully analysed)` : ''}, ${plural(result.findings.length, 'finding')}`,
    );
    for (const consumer of result.consumers) {
      const where = `${path.basename(consumer.registration.location.filePath)}:${consumer.registration.location.line}`;
      this.log.debug(
        `consumer ${consumer.registration.packageName ?? consumer.registration.library} ${consumer.registration.source ?? '(dynamic source)'} at ${where}: ${consumer.effectiveSemantics}`,
      );
      if (consumer.incomplete) this.log.warn(`consumer at ${where} not fully analysed: ${consumer.incomplete}`);
      for (const call of consumer.partial ?? []) this.log.info(`consumer at ${where}: could not follow ${call}`);
    }
  }

  /** Code lenses are computed from the last analysis: ask the client to fetch them again after one. */
  private refreshCodeLenses(): void {
    if (!this.supportsCodeLensRefresh) return;
    this.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => undefined);
  }

  /**
   * The first project's unusable config, for the status bar; a new error is also announced once,
   * with a button that opens the file at the error (window/showDocument).
   */
  private configErrorStatus(): Pick<StatusParams, 'configError'> {
    const problem = this.allProjects()
      .map((project) => project.configProblem)
      .find((entry) => !!entry);
    if (!problem) {
      this.announcedConfigError = undefined;
      return {};
    }
    const configError = {
      message: problem.message,
      ...(problem.filePath ? { uri: uriOf(problem.filePath) } : {}),
      ...(problem.line ? { line: problem.line - 1, character: (problem.column ?? 1) - 1 } : {}),
      fallback: problem.fallback,
    };
    if (this.announcedConfigError !== problem.message) {
      this.announcedConfigError = problem.message;
      void this.announceConfigError(configError);
    }
    return { configError };
  }

  private async announceConfigError(error: NonNullable<StatusParams['configError']>): Promise<void> {
    const using = error.fallback === 'last-valid' ? 'the last valid configuration' : 'the default configuration';
    const open = 'Open delivery-lint.config.json';
    const actions = error.uri && this.supportsShowDocument ? [{ title: open }] : [];
    try {
      const chosen = await this.connection.window.showWarningMessage(
        `delivery-lint: ${error.message}. Using ${using} until the file is fixed.`,
        ...actions,
      );
      if (chosen?.title === open && error.uri) {
        const position = { line: error.line ?? 0, character: error.character ?? 0 };
        await this.connection.window.showDocument({
          uri: error.uri,
          takeFocus: true,
          selection: { start: position, end: position },
        });
      }
    } catch {
      // the client went away or does not show messages: the status bar still says it
    }
  }

  /** Keeps a document's analysis and publishes its diagnostics when they changed. */
  private record(
    document: TextDocument,
    project: WorkspaceProject,
    texts: ReadonlyMap<string, string>,
    findings: Finding[],
    consumers: ConsumerReport[],
    reaches: Set<string>,
  ): void {
    const filePath = pathOf(document.uri)!;
    // The texts fixes edit, as the analysis saw them (a later edit must not shift their offsets).
    const fixTexts = new Map<string, string | undefined>();
    for (const finding of findings)
      for (const fix of finding.fixes)
        for (const edit of fix.edits)
          if (!fixTexts.has(edit.filePath))
            fixTexts.set(edit.filePath, texts.get(edit.filePath) ?? project.textOf(edit.filePath));
    this.analyses.set(document.uri, {
      uri: document.uri,
      filePath,
      version: document.version,
      text: texts.get(filePath) ?? document.getText(),
      findings,
      consumers,
      textOf: (file) => fixTexts.get(file) ?? (file === filePath ? texts.get(filePath) : undefined),
      reaches,
    });
    const diagnostics = findings.map(toDiagnostic);
    const key = JSON.stringify(diagnostics);
    const last = this.published.get(document.uri);
    if (last && last.key === key && last.version === document.version) return;
    this.published.set(document.uri, { version: document.version, key });
    void this.connection.sendDiagnostics({ uri: document.uri, version: document.version, diagnostics });
  }

  private consumerCount(): number {
    let count = 0;
    for (const analysis of this.analyses.values()) count += analysis.consumers.length;
    return count;
  }

  /**
   * A request on a document: answered from the analysis of its current version, waiting (without
   * blocking the server) for that analysis when it is not ready; a cancelled request ends the wait.
   */
  private async request<T>(
    what: string,
    uri: string,
    token: CancellationToken,
    empty: T,
    answer: (analysis: DocumentAnalysis) => T,
  ): Promise<T | ResponseError<void>> {
    if (!this.initializeReceived) return notInitialized();
    try {
      for (;;) {
        const document = this.documents.get(uri);
        if (!document || !this.settings.enable || !pathOf(uri)) return empty;
        const analysis = this.analyses.get(uri);
        if (analysis && analysis.version === document.version) return answer(analysis);
        if (token.isCancellationRequested) return cancelled();
        this.dirty.add(uri);
        const ended = new Promise<void>((resolve) => this.runEnded.push(resolve));
        if (!this.running) this.schedule(0);
        await Promise.race([ended, new Promise<void>((resolve) => token.onCancellationRequested(() => resolve()))]);
        if (token.isCancellationRequested) return cancelled();
      }
    } catch (error) {
      this.log.warn(`delivery-lint: ${what} failed: ${(error as Error).stack ?? (error as Error).message}`);
      return empty;
    }
  }

  private sendStatus(status: StatusParams): void {
    if (status.state === 'ready' && !status.message) status = { ...status, ...this.configErrorStatus() };
    const key = JSON.stringify(status);
    if (key === this.lastStatus) return;
    this.lastStatus = key;
    this.connection.sendNotification(STATUS_NOTIFICATION, status).catch(() => undefined);
  }

  /** Runs a handler so that nothing a document contains can take the server down. */
  private guard<T>(what: string, run: () => T): T | undefined {
    try {
      const value = run();
      if (value instanceof Promise) {
        return value.catch((error: Error) => {
          this.log.warn(`delivery-lint: ${what} failed: ${error.message}`);
          return undefined;
        }) as T;
      }
      return value;
    } catch (error) {
      this.reportFailure(what, error);
      return undefined;
    }
  }

  private async guardAsync(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.reportFailure(what, error);
    }
  }

  private reportFailure(what: string, error: unknown): void {
    this.log.warn(`delivery-lint: ${what} failed: ${(error as Error).stack ?? (error as Error).message}`);
    this.sendStatus({ state: 'error', consumers: this.consumerCount(), message: (error as Error).message });
  }
}

function notInitialized(): ResponseError<void> {
  return new ResponseError(ErrorCodes.ServerNotInitialized, 'the server has not received the initialize request');
}

function cancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'the request was cancelled');
}

/**
 * Reports travel to the panel with their crash timeline (derived now if it was deferred) and
 * without the path lists and dataflow facts, which only the rules need.
 */
function withoutPaths(consumer: ConsumerReport): PublicConsumerReport {
  ensureTimeline(consumer);
  const { paths: _paths, pathsSampled: _sampled, flow: _flow, files: _files, ...rest } = consumer;
  return rest;
}
