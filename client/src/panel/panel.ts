/**
 * The semantics explainer: one webview panel that explains a consumer of the active document,
 * with the data of the `deliveryLint/consumerReports` request and VS Code's delivery-lint
 * diagnostics. The HTML comes from render.ts; this file does the VS Code side: fetching,
 * refreshing when diagnostics change, and opening the locations the page asks for.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { RULES } from '../generated/rules';
import { buildView } from './render';
import { isPanelMessage, PanelConsumer, PanelData, PanelDiagnostic, PanelLocation } from './panel-data';

export interface PanelHost {
  /** The consumer reports of a document, or undefined when the server is not available. */
  consumerReports(uri: string): Promise<PanelConsumer[] | undefined>;
  showOutput(): void;
}

function severityOf(severity: vscode.DiagnosticSeverity): PanelDiagnostic['severity'] {
  switch (severity) {
    case vscode.DiagnosticSeverity.Error:
      return 'error';
    case vscode.DiagnosticSeverity.Warning:
      return 'warning';
    case vscode.DiagnosticSeverity.Hint:
      return 'hint';
    default:
      return 'info';
  }
}

/** 1-based SourceLocation-style lines and columns, as the server sends them. */
function toRange(location: PanelLocation): vscode.Range {
  return new vscode.Range(location.line - 1, location.column - 1, location.endLine - 1, location.endColumn - 1);
}

function fromRange(filePath: string, range: vscode.Range): PanelLocation {
  return {
    filePath,
    line: range.start.line + 1,
    column: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

function contains(location: PanelLocation, position: vscode.Position): boolean {
  return toRange(location).contains(position);
}

/** The consumer at a position: its handler or its registration contains it. */
function consumerAt(consumers: PanelConsumer[], position: vscode.Position): PanelConsumer | undefined {
  return (
    consumers.find((consumer) => contains(consumer.registration.location, position)) ??
    consumers.find((consumer) => contains(consumer.handlerRange, position))
  );
}

function belongsTo(diagnostic: vscode.Diagnostic, consumer: PanelConsumer): boolean {
  // The language client keeps the server's `data` ({ consumerId }) on the diagnostics it creates.
  const data = (diagnostic as vscode.Diagnostic & { data?: { consumerId?: unknown } }).data;
  if (data && typeof data.consumerId === 'string') return data.consumerId === consumer.id;
  const inside = (location: PanelLocation) => toRange(location).contains(diagnostic.range);
  return inside(consumer.handlerRange) || inside(consumer.registration.location);
}

function diagnosticsOf(uri: vscode.Uri, consumer: PanelConsumer): PanelDiagnostic[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((diagnostic) => diagnostic.source === 'delivery-lint' && belongsTo(diagnostic, consumer))
    .sort((a, b) => a.range.start.compareTo(b.range.start))
    .map((diagnostic) => ({
      ruleId: typeof diagnostic.code === 'object' ? String(diagnostic.code.value) : String(diagnostic.code ?? ''),
      severity: severityOf(diagnostic.severity),
      message: diagnostic.message,
      location: fromRange(uri.fsPath, diagnostic.range),
    }));
}

export class ExplainerPanel implements vscode.Disposable {
  static readonly viewType = 'deliveryLint.explainer';
  private static current: ExplainerPanel | undefined;

  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private uri: vscode.Uri | undefined;
  private consumerId: string | undefined;
  private consumers: PanelConsumer[] = [];
  private targets: PanelLocation[] = [];
  private refreshTimer: NodeJS.Timeout | undefined;
  private generation = 0;

  /** Opens (or reuses) the panel on a document, explaining `consumerId` or the consumer at `position`. */
  static async show(
    host: PanelHost,
    uri: vscode.Uri | undefined,
    select: { consumerId?: string; position?: vscode.Position } = {},
  ): Promise<ExplainerPanel> {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    if (ExplainerPanel.current) ExplainerPanel.current.panel.reveal(column, true);
    else
      ExplainerPanel.current = new ExplainerPanel(
        host,
        vscode.window.createWebviewPanel(
          ExplainerPanel.viewType,
          'Delivery semantics',
          { viewColumn: column, preserveFocus: true },
          {
            enableScripts: true,
            enableCommandUris: false,
            enableFindWidget: true,
            localResourceRoots: [],
          },
        ),
      );
    await ExplainerPanel.current.load(uri, select);
    return ExplainerPanel.current;
  }

  private constructor(
    private readonly host: PanelHost,
    panel: vscode.WebviewPanel,
  ) {
    this.panel = panel;
    this.panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    this.panel.webview.onDidReceiveMessage((message: unknown) => this.onMessage(message), undefined, this.disposables);
    vscode.languages.onDidChangeDiagnostics(
      (event) => {
        if (this.uri && event.uris.some((changed) => changed.toString() === this.uri!.toString()))
          this.scheduleRefresh();
      },
      undefined,
      this.disposables,
    );
  }

  private async load(
    uri: vscode.Uri | undefined,
    select: { consumerId?: string; position?: vscode.Position },
  ): Promise<void> {
    this.uri = uri;
    const generation = ++this.generation;
    const reports = uri ? await this.host.consumerReports(uri.toString()) : [];
    if (generation !== this.generation) return;
    this.consumers = reports ?? [];
    const chosen =
      (select.consumerId && this.consumers.find((consumer) => consumer.id === select.consumerId)) ||
      (select.position && consumerAt(this.consumers, select.position)) ||
      this.consumers[0];
    this.consumerId = chosen?.id;
    let notice: string | undefined;
    if (!uri)
      notice =
        'Open a TypeScript or JavaScript file with a message consumer, then run "delivery-lint: Explain Delivery Semantics".';
    else if (!reports) notice = 'The delivery-lint language server is not available; see the output for details.';
    else if (!this.consumers.length) notice = `No message consumer found in ${vscode.workspace.asRelativePath(uri)}.`;
    else if (select.consumerId && chosen?.id !== select.consumerId)
      notice = 'That consumer is no longer in the file; showing the first one.';
    this.render(notice);
  }

  private render(notice?: string): void {
    const consumer = this.consumers.find((candidate) => candidate.id === this.consumerId);
    const data: PanelData = {
      nonce: randomBytes(18).toString('hex'),
      consumer,
      consumers: this.consumers,
      diagnostics: consumer && this.uri ? diagnosticsOf(this.uri, consumer) : [],
      rules: RULES,
      roots: vscode.workspace.workspaceFolders?.map((folder) => folder.uri.fsPath),
      notice,
    };
    const view = buildView(data);
    this.targets = view.targets;
    this.panel.title = consumer
      ? `Delivery: ${consumer.registration.source ?? consumer.handlerName}`
      : 'Delivery semantics';
    this.panel.webview.html = view.html;
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, 300);
  }

  /** Re-reads the reports; keeps the same consumer, or the one at the same index when ids moved. */
  private async refresh(): Promise<void> {
    const index = this.consumers.findIndex((consumer) => consumer.id === this.consumerId);
    const generation = ++this.generation;
    const reports = this.uri ? await this.host.consumerReports(this.uri.toString()) : [];
    if (generation !== this.generation || !reports) return;
    this.consumers = reports;
    if (!reports.some((consumer) => consumer.id === this.consumerId))
      this.consumerId = reports[Math.max(0, Math.min(index, reports.length - 1))]?.id;
    this.render(
      reports.length
        ? undefined
        : this.uri && `No message consumer found in ${vscode.workspace.asRelativePath(this.uri)}.`,
    );
  }

  private async onMessage(message: unknown): Promise<void> {
    if (!isPanelMessage(message)) return;
    switch (message.type) {
      case 'reveal': {
        const target = this.targets[message.target];
        if (target) await reveal(target, this.uri);
        return;
      }
      case 'select': {
        const consumer = this.consumers[message.consumer];
        if (consumer) {
          this.consumerId = consumer.id;
          this.render();
        }
        return;
      }
      case 'refresh':
        await this.refresh();
        return;
      case 'showOutput':
        this.host.showOutput();
        return;
    }
  }

  dispose(): void {
    if (ExplainerPanel.current === this) ExplainerPanel.current = undefined;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.panel.dispose();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }

  static disposeCurrent(): void {
    ExplainerPanel.current?.dispose();
  }
}

/** Opens the location's file (the panel's own document when it is that file) and selects the range. */
async function reveal(location: PanelLocation, documentUri: vscode.Uri | undefined): Promise<void> {
  const uri =
    documentUri && documentUri.fsPath === location.filePath ? documentUri : vscode.Uri.file(location.filePath);
  const visible = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.toString() === uri.toString());
  const range = toRange(location);
  try {
    const editor = await vscode.window.showTextDocument(uri, {
      viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One,
      selection: range,
      preserveFocus: false,
    });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  } catch (error) {
    void vscode.window.showWarningMessage(
      `delivery-lint: could not open ${location.filePath}: ${(error as Error).message}`,
    );
  }
}
