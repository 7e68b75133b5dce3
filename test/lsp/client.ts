/**
 * A minimal LSP client over a real stdio connection to dist/server.js, for protocol tests and
 * the latency benchmark.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import type {
  CodeAction,
  CodeLens,
  Diagnostic,
  Hover,
  PublishDiagnosticsParams,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol';

const SERVER = path.resolve(__dirname, '..', '..', 'dist', 'server.js');

export interface ServerSettings {
  enable?: boolean;
  rules?: Record<string, string>;
  guardStrategy?: string;
}

export class LspClient {
  readonly connection: MessageConnection;
  private readonly process: ChildProcess;
  private readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
  private readonly waiters: {
    uri: string;
    predicate: (params: PublishDiagnosticsParams) => boolean;
    resolve: (params: PublishDiagnosticsParams) => void;
  }[] = [];
  private readonly publishListeners: ((params: PublishDiagnosticsParams) => void)[] = [];
  readonly logs: string[] = [];
  readonly stderr: string[] = [];
  settings: ServerSettings = { enable: true, rules: {}, guardStrategy: 'redis' };
  private versions = new Map<string, number>();

  /** `server`: the bundle to run (default: the repository's dist/server.js). */
  constructor(server: string = SERVER) {
    this.process = spawn(process.execPath, [server, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr!.on('data', (chunk) => this.stderr.push(String(chunk)));
    this.connection = createMessageConnection(
      new StreamMessageReader(this.process.stdout!),
      new StreamMessageWriter(this.process.stdin!),
    );
    this.connection.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      this.diagnostics.set(params.uri, [...(this.diagnostics.get(params.uri) ?? []), params]);
      for (const listener of this.publishListeners) listener(params);
      for (const waiter of [...this.waiters]) {
        if (waiter.uri === params.uri && waiter.predicate(params)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(params);
        }
      }
    });
    this.connection.onNotification('window/logMessage', (params: { message: string }) => {
      this.logs.push(params.message);
    });
    this.connection.onRequest('workspace/configuration', (params: { items: unknown[] }) =>
      params.items.map(() => this.settings),
    );
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.listen();
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get exited(): boolean {
    return this.process.exitCode !== null;
  }

  /** `extra` adds client capabilities by section (`{ window: { showDocument: { support: true } } }`). */
  async initialize(rootPath: string, extra: { workspace?: object; window?: object } = {}): Promise<unknown> {
    const rootUri = pathToFileURL(rootPath).toString();
    const result = await this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: path.basename(rootPath) }],
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, ...extra.workspace },
        textDocument: { publishDiagnostics: { relatedInformation: true } },
        ...(extra.window ? { window: extra.window } : {}),
      },
    });
    await this.connection.sendNotification('initialized', {});
    return result;
  }

  uri(filePath: string): string {
    return pathToFileURL(filePath).toString();
  }

  async open(filePath: string, text: string): Promise<void> {
    this.versions.set(filePath, 1);
    await this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: this.uri(filePath), languageId: 'typescript', version: 1, text },
    });
  }

  /** Replaces the whole text (a full-document change). */
  async change(filePath: string, text: string): Promise<number> {
    const version = (this.versions.get(filePath) ?? 1) + 1;
    this.versions.set(filePath, version);
    await this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: this.uri(filePath), version },
      contentChanges: [{ text }],
    });
    return version;
  }

  /** An incremental change: replace a range. */
  async edit(
    filePath: string,
    range: { start: { line: number; character: number }; end: { line: number; character: number } },
    text: string,
  ): Promise<number> {
    const version = (this.versions.get(filePath) ?? 1) + 1;
    this.versions.set(filePath, version);
    await this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: this.uri(filePath), version },
      contentChanges: [{ range, text }],
    });
    return version;
  }

  async close(filePath: string): Promise<void> {
    await this.connection.sendNotification('textDocument/didClose', { textDocument: { uri: this.uri(filePath) } });
  }

  /** Waits for diagnostics of a file that satisfy the predicate (by default: for the latest version). */
  waitForDiagnostics(
    filePath: string,
    predicate?: (params: PublishDiagnosticsParams) => boolean,
    timeoutMs = 20000,
  ): Promise<PublishDiagnosticsParams> {
    const uri = this.uri(filePath);
    // By default: diagnostics for the version the file has when they arrive.
    const test =
      predicate ??
      ((params: PublishDiagnosticsParams) =>
        params.version === undefined || params.version === this.versions.get(filePath));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no matching diagnostics for ${filePath} within ${timeoutMs} ms; logs:\n${this.logs.join('\n')}\n${this.stderr.join('')}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        uri,
        predicate: test,
        resolve: (params) => {
          clearTimeout(timer);
          resolve(params);
        },
      });
    });
  }

  /** Calls `listener` on every diagnostics notification. */
  onPublish(listener: (params: PublishDiagnosticsParams) => void): void {
    this.publishListeners.push(listener);
  }

  /** The version of the file the client sent last. */
  versionOf(filePath: string): number | undefined {
    return this.versions.get(filePath);
  }

  /** The last diagnostics notification of a file. */
  latestPublication(filePath: string): PublishDiagnosticsParams | undefined {
    const all = this.diagnostics.get(this.uri(filePath)) ?? [];
    return all[all.length - 1];
  }

  /** How many diagnostics notifications a file has received so far. */
  publications(filePath: string): number {
    return this.diagnostics.get(this.uri(filePath))?.length ?? 0;
  }

  /** Diagnostics notifications received so far, all files. */
  get publicationTotal(): number {
    let total = 0;
    for (const list of this.diagnostics.values()) total += list.length;
    return total;
  }

  latestDiagnostics(filePath: string): Diagnostic[] {
    const all = this.diagnostics.get(this.uri(filePath)) ?? [];
    return all[all.length - 1]?.diagnostics ?? [];
  }

  codeActions(filePath: string, diagnostic: Diagnostic, only?: string[]): Promise<CodeAction[]> {
    return this.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: this.uri(filePath) },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic], ...(only ? { only } : {}) },
    });
  }

  hover(filePath: string, line: number, character: number): Promise<Hover | null> {
    return this.connection.sendRequest('textDocument/hover', {
      textDocument: { uri: this.uri(filePath) },
      position: { line, character },
    });
  }

  codeLens(filePath: string): Promise<CodeLens[]> {
    return this.connection.sendRequest('textDocument/codeLens', { textDocument: { uri: this.uri(filePath) } });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest(method, params);
  }

  async shutdown(): Promise<void> {
    try {
      await Promise.race([
        this.connection.sendRequest('shutdown'),
        new Promise((resolve) => setTimeout(resolve, 2000)),
      ]);
      await this.connection.sendNotification('exit');
    } catch {
      /* the process may already be gone */
    }
    this.connection.dispose();
    if (!this.exited) this.process.kill();
  }
}

/** Applies a WorkspaceEdit's edits for one document to its text. */
export function applyWorkspaceEdit(text: string, edit: WorkspaceEdit, uri: string): string {
  const edits: TextEdit[] = edit.changes?.[uri] ?? [];
  const lines = text.split('\n');
  const offsetOf = (position: { line: number; character: number }) =>
    lines.slice(0, position.line).reduce((sum, line) => sum + line.length + 1, 0) + position.character;
  const sorted = [...edits].sort((a, b) => offsetOf(b.range.start) - offsetOf(a.range.start));
  let result = text;
  for (const change of sorted)
    result = result.slice(0, offsetOf(change.range.start)) + change.newText + result.slice(offsetOf(change.range.end));
  return result;
}
