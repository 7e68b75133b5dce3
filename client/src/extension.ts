/**
 * The VS Code client: starts the bundled language server (dist/server.js) over node IPC, shows
 * its state in the status bar, and registers the explainer panel and the extension's commands.
 *
 * Workspace trust: the extension only reads files. The server parses the project's sources and
 * tsconfig with the TypeScript compiler API and reads delivery-lint.config.json as JSON; it
 * never loads, requires or runs code from the workspace, and starts no tasks or processes.
 * That is why package.json declares `capabilities.untrustedWorkspaces.supported: true`.
 */
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import {
  COMMANDS,
  CONSUMER_REPORTS_REQUEST,
  ConsumerReportsParams,
  SETTINGS_SECTION,
  STATUS_NOTIFICATION,
  StatusParams,
} from '../../server/src/lsp/protocol';
import { documentSelector, LANGUAGE_IDS, WATCHED_FILES } from './languages';
import { ExplainerPanel, PanelHost } from './panel/panel';
import type { PanelConsumer } from './panel/panel-data';
import { StatusState, statusView } from './status';

const CLIENT_ID = 'deliveryLint';
const CLIENT_NAME = 'delivery-lint';

let client: LanguageClient | undefined;
/** Disposed after the client in deactivate(), so requests still in flight can log while it stops. */
let outputChannel: vscode.LogOutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  outputChannel = output;

  const serverModule = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: {
      module: serverModule,
      transport: TransportKind.ipc,
      options: { execArgv: ['--nolazy', '--inspect=6019'] },
    },
  };
  const watchers = WATCHED_FILES.map((pattern) => vscode.workspace.createFileSystemWatcher(pattern));
  context.subscriptions.push(...watchers);
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    synchronize: { fileEvents: watchers },
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // The hover's "More" link opens the explainer panel; no other command runs from server markdown.
    markdown: { isTrusted: { enabledCommands: [COMMANDS.explainConsumer] } },
  };
  const languageClient = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client = languageClient;

  // Status bar: the client's state, then what the server reports.
  const state: StatusState = { client: 'starting', enabled: isEnabled() };
  const item = vscode.window.createStatusBarItem('deliveryLint.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'delivery-lint';
  context.subscriptions.push(item);
  const updateStatus = () => {
    const view = statusView(state);
    item.text = view.text;
    item.tooltip = view.tooltip;
    item.command =
      view.command === 'explain'
        ? COMMANDS.explain
        : view.command === 'openConfig'
          ? { command: COMMANDS.openConfig, title: 'Open delivery-lint.config.json' }
          : COMMANDS.showOutput;
    item.backgroundColor =
      view.tone === 'normal'
        ? undefined
        : new vscode.ThemeColor(
            view.tone === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground',
          );
    item.accessibilityInformation = { label: view.tooltip };
    item.show();
  };
  updateStatus();
  context.subscriptions.push(
    languageClient.onDidChangeState((event) => {
      state.client =
        event.newState === State.Running ? 'running' : event.newState === State.Starting ? 'starting' : 'stopped';
      if (event.newState !== State.Running) state.server = undefined;
      updateStatus();
    }),
    languageClient.onNotification(STATUS_NOTIFICATION, (params: StatusParams) => {
      state.server = params;
      if (params.state === 'error' && params.message) output.error(`analysis failed: ${params.message}`);
      updateStatus();
    }),
    vscode.commands.registerCommand(COMMANDS.openConfig, async () => {
      const error = state.server?.configError;
      const uri = error?.uri
        ? vscode.Uri.parse(error.uri)
        : (await vscode.workspace.findFiles('**/delivery-lint.config.json', '**/node_modules/**', 1))[0];
      if (!uri) return;
      const document = await vscode.window.showTextDocument(uri);
      if (error?.line !== undefined) {
        const position = new vscode.Position(error.line, error.character ?? 0);
        document.selection = new vscode.Selection(position, position);
        document.revealRange(new vscode.Range(position, position));
      }
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(`${SETTINGS_SECTION}.enable`)) return;
      state.enabled = isEnabled();
      updateStatus();
    }),
  );

  const host: PanelHost = {
    consumerReports: async (uri) => {
      if (!languageClient.isRunning()) return undefined;
      try {
        return await languageClient.sendRequest<PanelConsumer[]>(CONSUMER_REPORTS_REQUEST, {
          uri,
        } satisfies ConsumerReportsParams);
      } catch (error) {
        output.error(`${CONSUMER_REPORTS_REQUEST} failed: ${(error as Error).message}`);
        return undefined;
      }
    },
    showOutput: () => output.show(true),
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.explain, async () => {
      const editor = vscode.window.activeTextEditor;
      const supported = editor && (LANGUAGE_IDS as readonly string[]).includes(editor.document.languageId);
      await ExplainerPanel.show(host, supported ? editor.document.uri : undefined, {
        position: supported ? editor.selection.active : undefined,
      });
    }),
    vscode.commands.registerCommand(
      COMMANDS.explainConsumer,
      async (uri?: string | vscode.Uri, consumerId?: string) => {
        const target =
          typeof uri === 'string' ? vscode.Uri.parse(uri) : (uri ?? vscode.window.activeTextEditor?.document.uri);
        await ExplainerPanel.show(host, target, {
          consumerId: typeof consumerId === 'string' ? consumerId : undefined,
        });
      },
    ),
    vscode.commands.registerCommand(COMMANDS.restart, async () => {
      output.info('restarting the language server');
      try {
        if (languageClient.isRunning()) await languageClient.restart();
        else await languageClient.start();
      } catch (error) {
        output.error(`restart failed: ${(error as Error).message}`);
        void vscode.window.showErrorMessage(
          `delivery-lint: the language server did not restart: ${(error as Error).message}`,
        );
      }
    }),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => output.show(true)),
    { dispose: () => ExplainerPanel.disposeCurrent() },
  );

  try {
    await languageClient.start();
  } catch (error) {
    state.client = 'stopped';
    updateStatus();
    output.error(`the language server did not start: ${(error as Error).message}`);
  }
}

export async function deactivate(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) await running.dispose();
  outputChannel?.dispose();
  outputChannel = undefined;
}

function isEnabled(): boolean {
  return vscode.workspace.getConfiguration(SETTINGS_SECTION).get<boolean>('enable', true);
}
