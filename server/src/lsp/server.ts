/**
 * The language server: keeps a WorkspaceProject per folder up to date with the editor's buffers,
 * re-analyses open documents after edits (debounced, stale results dropped), and answers code
 * actions, hover, code lens and the explainer's requests from the last analysis.
 */
import * as path from 'node:path';
import {
  CodeActionKind,
  CodeLensRefreshRequest,
  Connection,
  DidChangeConfigurationNotification,
  FileChangeType,
  InitializeParams,
  InitializeResult,
  TextDocumentSyncKind,
  TextDocuments,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { ConsumerReport, Finding, PublicConsumerReport } from '../model';
import type { ResolvedConfig } from '../config/resolved-config';
import { toConfiguredSeverity } from '../config/load';
import { pathOf, toDiagnostic, uriOf } from './convert';
import { codeActions, codeLenses, DocumentAnalysis, hover } from './features';
import {
  CONSUMER_REPORTS_REQUEST,
  ClientSettings,
  ConsumerReportsParams,
  FIX_ALL_KIND,
  SETTINGS_SECTION,
  STATUS_NOTIFICATION,
  StatusParams,
} from './protocol';
import { WorkspaceProject } from '../pipeline/workspace-project';

/**
 * How long a change waits for the next keystroke before the analysis runs. Short: an analysis of
 * an edit takes tens of milliseconds, and changes that arrive while one runs are coalesced into
 * the next run (the timer is not pushed back by each keystroke, so typing never starves it).
 */
export const DEBOUNCE_MS = 10;

const CONFIG_FILES = new Set(['tsconfig.json', 'delivery-lint.config.json', 'jsconfig.json']);

export class DeliveryLintServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly projects = new Map<string, WorkspaceProject>();
  private readonly analyses = new Map<string, DocumentAnalysis>();
  private folders: string[] = [];
  private settings: ClientSettings = { enable: true, rules: {} };
  private supportsConfiguration = false;
  private supportsWorkspaceFolders = false;
  private supportsSnippetEdits = false;
  private supportsCodeLensRefresh = false;
  private supportsShowDocument = false;
  /** The config error last announced, so each new one is announced once. */
  private announcedConfigError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = new Set<string>();

  constructor(private readonly connection: Connection) {}

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
    connection.onInitialized(() => this.initialized());
    connection.onDidChangeConfiguration(() => this.guard('configuration change', () => this.refreshSettings()));
    connection.onDidChangeWatchedFiles((params) =>
      this.guard('watched files', () => {
        for (const change of params.changes) this.onWatchedFile(change.uri, change.type);
        this.schedule([...this.analyses.keys(), ...this.openUris()]);
      }),
    );
    this.documents.onDidOpen((event) => this.guard('open', () => this.onText(event.document, true)));
    this.documents.onDidChangeContent((event) => this.guard('change', () => this.onText(event.document, false)));
    this.documents.onDidClose((event) => this.guard('close', () => this.onClose(event.document)));
    connection.onCodeAction(
      (params) =>
        this.guard('code action', () => {
          const analysis = this.freshAnalysis(params.textDocument.uri);
          return analysis
            ? codeActions(analysis, params.range, params.context.only, { snippets: this.supportsSnippetEdits })
            : [];
        }) ?? [],
    );
    connection.onHover(
      (params) =>
        this.guard('hover', () => {
          const analysis = this.freshAnalysis(params.textDocument.uri);
          return analysis ? hover(analysis, params.position) : undefined;
        }) ?? null,
    );
    connection.onCodeLens(
      (params) =>
        this.guard('code lens', () => {
          const analysis = this.freshAnalysis(params.textDocument.uri);
          return analysis ? codeLenses(analysis) : [];
        }) ?? [],
    );
    connection.onRequest(
      CONSUMER_REPORTS_REQUEST,
      (params: ConsumerReportsParams) =>
        this.guard('consumer reports', () => this.freshAnalysis(params.uri)?.consumers.map(withoutPaths) ?? []) ?? [],
    );
    this.documents.listen(connection);
    connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    this.supportsConfiguration = !!params.capabilities.workspace?.configuration;
    this.supportsWorkspaceFolders = !!params.capabilities.workspace?.workspaceFolders;
    this.supportsSnippetEdits = !!params.capabilities.workspace?.workspaceEdit?.snippetEditSupport;
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
      this.connection.workspace.onDidChangeWorkspaceFolders((event) => {
        for (const removed of event.removed) {
          const folder = pathOf(removed.uri);
          if (folder) this.projects.delete(folder);
          this.folders = this.folders.filter((existing) => existing !== folder);
        }
        for (const added of event.added) {
          const folder = pathOf(added.uri);
          if (folder) this.folders.push(folder);
        }
      });
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
        this.connection.console.warn(`delivery-lint: could not read settings: ${(error as Error).message}`);
      }
    }
    for (const project of this.projects.values()) project.reload();
    this.schedule(this.openUris());
  }

  /** Settings from the editor, layered over delivery-lint.config.json. */
  private settingsOverrides(): Partial<ResolvedConfig> {
    const rules: ResolvedConfig['rules'] = {};
    for (const [id, level] of Object.entries(this.settings.rules ?? {})) rules[id] = toConfiguredSeverity(level);
    return { rules, ...(this.settings.guardStrategy ? { guardStrategy: this.settings.guardStrategy } : {}) };
  }

  private projectFor(filePath: string): WorkspaceProject {
    for (const project of this.projects.values()) if (project.owns(filePath)) return project;
    const folder =
      this.folders
        .filter((candidate) => filePath.startsWith(candidate + path.sep))
        .sort((a, b) => b.length - a.length)[0] ?? path.dirname(filePath);
    const logger = {
      info: (message: string) => this.log.info(message),
      warn: (message: string) => this.log.warn(message),
    };
    const project = new WorkspaceProject(folder, logger, () => this.settingsOverrides());
    this.projects.set(folder, project);
    this.sendStatus({ state: 'loading', consumers: 0 });
    return project;
  }

  private onText(document: TextDocument, opened: boolean): void {
    const filePath = pathOf(document.uri);
    if (!filePath) return;
    this.projectFor(filePath).setOverlay(filePath, document.getText());
    this.schedule([document.uri], opened ? 0 : DEBOUNCE_MS);
  }

  private onClose(document: TextDocument): void {
    const filePath = pathOf(document.uri);
    this.analyses.delete(document.uri);
    this.pending.delete(document.uri);
    void this.connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    if (filePath) this.projectFor(filePath).clearOverlay(filePath);
  }

  private onWatchedFile(uri: string, type: FileChangeType): void {
    const filePath = pathOf(uri);
    if (!filePath) return;
    for (const project of this.projects.values()) {
      if (!project.owns(filePath)) continue;
      if (CONFIG_FILES.has(path.basename(filePath))) project.reload();
      else if (!this.documents.get(uri) || type === FileChangeType.Deleted) project.fileChangedOnDisk(filePath);
    }
  }

  private openUris(): string[] {
    return this.documents.all().map((document) => document.uri);
  }

  /**
   * Re-analyses documents after `delay`. A change to any file can change what an open consumer
   * reaches (a helper it calls), so every open document of the project is re-checked.
   */
  private schedule(uris: string[], delay = DEBOUNCE_MS): void {
    for (const uri of uris) this.pending.add(uri);
    if (this.timer) return; // a run is already due: it will see this change too
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.guard('analysis', () => this.runPending());
    }, delay);
  }

  private runPending(): void {
    this.pending.clear();
    if (!this.settings.enable) {
      for (const uri of this.openUris()) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
      this.analyses.clear();
      this.sendStatus({ state: 'ready', consumers: 0, message: 'disabled by deliveryLint.enable' });
      return;
    }
    const byProject = new Map<WorkspaceProject, TextDocument[]>();
    for (const document of this.documents.all()) {
      const filePath = pathOf(document.uri);
      if (!filePath) continue;
      const project = this.projectFor(filePath);
      byProject.set(project, [...(byProject.get(project) ?? []), document]);
    }
    let consumers = 0;
    for (const [project, documents] of byProject) {
      consumers += this.analyzeDocuments(project, documents);
    }
    this.sendStatus({ state: 'ready', consumers, ...this.configErrorStatus() });
    this.refreshCodeLenses();
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
    const problem = [...this.projects.values()].map((project) => project.configProblem).find((entry) => !!entry);
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

  private analyzeDocuments(project: WorkspaceProject, documents: TextDocument[]): number {
    const files = documents.map((document) => pathOf(document.uri)!);
    const started = performance.now();
    const result = project.analyze(files);
    const elapsed = Math.round(performance.now() - started);
    for (const problem of result.problems) this.log.error(`delivery-lint: ${problem.filePath}: ${problem.message}`);
    const incomplete = result.consumers.filter((consumer) => consumer.incomplete).length;
    this.log.info(
      `analysed ${files.length} open file${files.length === 1 ? '' : 's'} in ${elapsed} ms: ${result.consumers.length} consumer${result.consumers.length === 1 ? '' : 's'}${incomplete ? ` (${incomplete} not fully analysed)` : ''}, ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}`,
    );
    for (const consumer of result.consumers) {
      const where = `${path.basename(consumer.registration.location.filePath)}:${consumer.registration.location.line}`;
      this.log.debug(
        `consumer ${consumer.registration.packageName ?? consumer.registration.library} ${consumer.registration.source ?? '(dynamic source)'} at ${where}: ${consumer.effectiveSemantics}`,
      );
      if (consumer.incomplete) this.log.warn(`consumer at ${where} not fully analysed: ${consumer.incomplete}`);
      for (const call of consumer.partial ?? []) this.log.info(`consumer at ${where}: could not follow ${call}`);
    }
    for (const document of documents) {
      const filePath = pathOf(document.uri)!;
      // Stale: the buffer changed after the snapshot this analysis used; the next run covers it.
      if (project.textOf(filePath) !== document.getText()) continue;
      const findings: Finding[] = result.findings.filter((finding) => finding.location.filePath === filePath);
      const consumers: ConsumerReport[] = result.consumers.filter(
        (consumer) => consumer.registration.location.filePath === filePath,
      );
      this.analyses.set(document.uri, {
        uri: document.uri,
        filePath,
        version: document.version,
        text: document.getText(),
        findings,
        consumers,
        textOf: (file) => project.textOf(file),
      });
      void this.connection.sendDiagnostics({
        uri: document.uri,
        version: document.version,
        diagnostics: findings.map(toDiagnostic),
      });
    }
    return result.consumers.length;
  }

  /** The analysis of a document at its current version, computed now if it is missing or stale. */
  private freshAnalysis(uri: string): DocumentAnalysis | undefined {
    const document = this.documents.get(uri);
    if (!document || !this.settings.enable) return undefined;
    const existing = this.analyses.get(uri);
    if (existing && existing.version === document.version) return existing;
    const filePath = pathOf(uri);
    if (!filePath) return undefined;
    const project = this.projectFor(filePath);
    project.setOverlay(filePath, document.getText());
    const consumers = this.analyzeDocuments(project, [document]);
    this.sendStatus({ state: 'ready', consumers, ...this.configErrorStatus() });
    return this.analyses.get(uri);
  }

  private sendStatus(status: StatusParams): void {
    this.connection.sendNotification(STATUS_NOTIFICATION, status).catch(() => undefined);
  }

  /** Runs a handler so that nothing a document contains can take the server down. */
  private guard<T>(what: string, run: () => T): T | undefined {
    try {
      const value = run();
      if (value instanceof Promise) {
        return value.catch((error: Error) => {
          this.connection.console.warn(`delivery-lint: ${what} failed: ${error.message}`);
          return undefined;
        }) as T;
      }
      return value;
    } catch (error) {
      this.connection.console.warn(
        `delivery-lint: ${what} failed: ${(error as Error).stack ?? (error as Error).message}`,
      );
      this.sendStatus({ state: 'error', consumers: 0, message: (error as Error).message });
      return undefined;
    }
  }
}

/** Reports travel to the panel without the path lists and dataflow facts, which only the rules need. */
function withoutPaths(consumer: ConsumerReport): PublicConsumerReport {
  const { paths: _paths, pathsSampled: _sampled, flow: _flow, files: _files, ...rest } = consumer;
  return rest;
}
