/**
 * The extension-host suite: runs inside a real VS Code extension host, with the full `vscode` API,
 * against the extension loaded from the repository (extensionDevelopmentPath) and a workspace
 * that is a temporary copy of examples/ (it edits documents; it refuses to run on the repository's
 * own examples/).
 *
 * `run()` is the contract shared by @vscode/test-electron's runTests (test/vscode/run-electron.ts)
 * and code-server's `extensionTestsPath` URL payload (test/vscode/code-server.test.ts). Built by
 * scripts/build.mjs to dist/test/suite.js with 'vscode' external.
 *
 * In code-server a rejected run() does not become an exit code, so every check is also written,
 * as it completes, to a JSON result file: $DELIVERY_LINT_E2E_RESULT, or else
 * <workspace>/.delivery-lint-e2e-result.json. run() rejects when a check failed (the exit code
 * for test-electron).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'delivery-lint.delivery-lint';
export const RESULT_ENV = 'DELIVERY_LINT_E2E_RESULT';
export const RESULT_FILE_NAME = '.delivery-lint-e2e-result.json';

const ORDER_PLACED = 'src/kafka/order-placed.consumer.ts';
const INVOICE_EMAIL = 'src/rabbit/invoice-email.consumer.ts';
/** How long the language server may take to publish diagnostics (it loads the whole project first). */
const DIAGNOSTICS_TIMEOUT_MS = 60_000;
const UI_TIMEOUT_MS = 15_000;

export interface CheckResult {
  name: string;
  pass: boolean;
  /** Did not run: a check it needs failed (`error` names it). */
  skipped?: boolean;
  ms: number;
  error?: string;
  details?: unknown;
}

export interface SuiteResult {
  suite: 'delivery-lint extension host';
  vscodeVersion: string;
  appName: string;
  uiKind: 'desktop' | 'web';
  extension?: { id: string; version: string; path: string };
  workspace?: string;
  resultFile: string;
  startedAt: string;
  finishedAt?: string;
  /** True once every check has run: the file is final. */
  done: boolean;
  checks: CheckResult[];
}

class Skip extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something truthy; the timeout error says what was last seen. */
async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  lastSeen?: () => string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastSeen ? `; last seen: ${lastSeen()}` : ''}`,
      );
    await sleep(250);
  }
}

function codeOf(diagnostic: vscode.Diagnostic): string {
  return typeof diagnostic.code === 'object' ? String(diagnostic.code.value) : String(diagnostic.code ?? '');
}

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'delivery-lint');
}

function describeDiagnostics(uri: vscode.Uri): string {
  const all = vscode.languages.getDiagnostics(uri);
  if (!all.length) return 'no diagnostics';
  return all
    .map(
      (d) =>
        `${d.source}:${codeOf(d)}@${d.range.start.line}:${d.range.start.character} ${vscode.DiagnosticSeverity[d.severity]}`,
    )
    .join(', ');
}

function findDiagnostic(uri: vscode.Uri, rule: string): vscode.Diagnostic | undefined {
  return ours(uri).find((diagnostic) => codeOf(diagnostic) === rule);
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((hover) => hover.contents)
    .map((content) => (typeof content === 'string' ? content : content.value))
    .join('\n---\n');
}

function webviewTabs(): { label: string; viewType: string }[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview)
    .map((tab) => ({ label: tab.label, viewType: (tab.input as vscode.TabInputWebview).viewType }));
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export async function run(): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const resultFile =
    process.env[RESULT_ENV] ||
    (folder ? path.join(folder.uri.fsPath, RESULT_FILE_NAME) : path.join(process.cwd(), RESULT_FILE_NAME));
  const result: SuiteResult = {
    suite: 'delivery-lint extension host',
    vscodeVersion: vscode.version,
    appName: vscode.env.appName,
    uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop',
    workspace: folder?.uri.fsPath,
    resultFile,
    startedAt: new Date().toISOString(),
    done: false,
    checks: [],
  };
  const save = () => {
    // Written whole and renamed, so a reader never sees half a file.
    const partial = `${resultFile}.${process.pid}.tmp`;
    fs.writeFileSync(partial, JSON.stringify(result, null, 2));
    fs.renameSync(partial, resultFile);
  };
  save();

  const passed = new Set<string>();
  async function check(name: string, needs: string[], body: () => unknown): Promise<void> {
    const started = Date.now();
    const entry: CheckResult = { name, pass: false, ms: 0 };
    try {
      const missing = needs.filter((need) => !passed.has(need));
      if (missing.length)
        throw new Skip(`skipped: needs ${missing.map((need) => `'${need}'`).join(', ')}, which did not pass`);
      const details = await body();
      if (details !== undefined) entry.details = details;
      entry.pass = true;
      passed.add(name);
    } catch (error) {
      if (error instanceof Skip) entry.skipped = true;
      entry.error =
        error instanceof Skip ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    }
    entry.ms = Date.now() - started;
    result.checks.push(entry);
    save();
  }

  let extension: vscode.Extension<unknown> | undefined;
  let root = '';
  let orderPlaced: vscode.TextDocument | undefined;
  let invoiceEmail: vscode.TextDocument | undefined;

  await check('workspace is a temporary copy of examples/', [], () => {
    if (!folder) throw new Error('no workspace folder is open');
    root = folder.uri.fsPath;
    extension = vscode.extensions.getExtension(EXTENSION_ID);
    if (!extension)
      throw new Error(
        `extension ${EXTENSION_ID} is not loaded; loaded: ${vscode.extensions.all.map((candidate) => candidate.id).join(', ')}`,
      );
    result.extension = {
      id: extension.id,
      version: String((extension.packageJSON as { version?: string }).version),
      path: extension.extensionPath,
    };
    // The suite edits documents: never the repository's own examples.
    if (isInside(fs.realpathSync(root), fs.realpathSync(extension.extensionPath)))
      throw new Error(
        `the workspace ${root} is inside the extension's folder ${extension.extensionPath}: open a temporary copy of examples/`,
      );
    for (const file of [ORDER_PLACED, INVOICE_EMAIL])
      if (!fs.existsSync(path.join(root, file))) throw new Error(`${file} is not in the workspace ${root}`);
    return { workspace: root, extensionPath: extension.extensionPath };
  });

  await check(
    'the extension activates and registers its commands',
    ['workspace is a temporary copy of examples/'],
    async () => {
      orderPlaced = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(root, ORDER_PLACED)));
      await vscode.window.showTextDocument(orderPlaced);
      await waitFor('the extension to activate (onLanguage:typescript)', () => extension!.isActive, UI_TIMEOUT_MS);
      const commands = (await vscode.commands.getCommands(true)).filter((command) =>
        command.startsWith('deliveryLint.'),
      );
      const expected = [
        'deliveryLint.explain',
        'deliveryLint.explainConsumer',
        'deliveryLint.restartServer',
        'deliveryLint.showOutput',
      ];
      const absent = expected.filter((command) => !commands.includes(command));
      if (absent.length)
        throw new Error(`commands not registered: ${absent.join(', ')} (registered: ${commands.join(', ')})`);
      return { commands };
    },
  );

  let missing: vscode.Diagnostic | undefined;
  await check(
    'order-placed.consumer.ts: missing-event-id-check warning on line 14',
    ['the extension activates and registers its commands'],
    async () => {
      const uri = orderPlaced!.uri;
      missing = await waitFor(
        'the missing-event-id-check diagnostic',
        () => findDiagnostic(uri, 'missing-event-id-check'),
        DIAGNOSTICS_TIMEOUT_MS,
        () => describeDiagnostics(uri),
      );
      if (missing.range.start.line !== 13)
        throw new Error(`reported on zero-based line ${missing.range.start.line}, expected 13`);
      if (missing.severity !== vscode.DiagnosticSeverity.Warning)
        throw new Error(`severity ${vscode.DiagnosticSeverity[missing.severity]}, expected Warning`);
      if (!/charges the customer a second time/.test(missing.message))
        throw new Error(`unexpected message: ${missing.message}`);
      const href = typeof missing.code === 'object' ? missing.code.target.toString() : '';
      if (!/docs\/rules\/missing-event-id-check\.md$/.test(href))
        throw new Error(`code link ${href || '(none)'} is not the rule's documentation`);
      return { range: missing.range, message: missing.message, all: describeDiagnostics(uri) };
    },
  );

  await check(
    'hover on the handler names kafkajs, its delivery semantics, and the file of each effect',
    ['order-placed.consumer.ts: missing-event-id-check warning on line 14'],
    async () => {
      const lineText = orderPlaced!.lineAt(13).text;
      const column = lineText.indexOf('async');
      if (column < 0) throw new Error(`line 14 has no handler: ${lineText}`);
      const hovers =
        (await vscode.commands.executeCommand<vscode.Hover[]>(
          'vscode.executeHoverProvider',
          orderPlaced!.uri,
          new vscode.Position(13, column + 2),
        )) ?? [];
      const text = hoverText(hovers);
      if (!text.includes('kafkajs')) throw new Error(`no hover mentions kafkajs; hovers: ${text || '(none)'}`);
      if (!text.includes('at-least-once')) throw new Error(`the hover does not state the delivery semantics: ${text}`);
      // The effects are in services/billing.ts: the hover says so, as a link, not a bare line number.
      if (!/Stripe charges\.create \(\[[\w./-]*billing\.ts:\d+\]\(/.test(text))
        throw new Error(`the hover does not name the file of an effect in another file: ${text}`);
      return { hover: text.slice(0, 600) };
    },
  );

  await check(
    "code lens above the consumer reads 'kafkajs · orders.placed · …'",
    ['order-placed.consumer.ts: missing-event-id-check warning on line 14'],
    async () => {
      const lenses =
        (await vscode.commands.executeCommand<vscode.CodeLens[]>(
          'vscode.executeCodeLensProvider',
          orderPlaced!.uri,
          10,
        )) ?? [];
      const titles = lenses.map((lens) => lens.command?.title ?? '(unresolved)');
      const lens = lenses.find((candidate) => candidate.command?.title.startsWith('kafkajs · orders.placed'));
      if (!lens) throw new Error(`no code lens titled 'kafkajs · orders.placed …'; lenses: ${JSON.stringify(titles)}`);
      if (lens.command!.command !== 'deliveryLint.explainConsumer')
        throw new Error(`the lens runs ${lens.command!.command}, expected deliveryLint.explainConsumer`);
      return { title: lens.command!.title, line: lens.range.start.line };
    },
  );

  await check(
    'the preferred quick-fix adds a Redis SET NX guard and the warning goes away',
    ['order-placed.consumer.ts: missing-event-id-check warning on line 14'],
    async () => {
      const document = orderPlaced!;
      let titles: string[] = [];
      const quickFixes = async () => {
        const actions =
          (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
            'vscode.executeCodeActionProvider',
            document.uri,
            missing!.range,
            vscode.CodeActionKind.QuickFix.value,
            10,
          )) ?? [];
        const codeActions = actions.filter(
          (action): action is vscode.CodeAction => !('command' in action && typeof action.command === 'string'),
        );
        titles = codeActions.map((action) => `${action.isPreferred ? '* ' : ''}${action.title}`);
        return codeActions.length ? codeActions : undefined;
      };
      // Asked again for a while if the server has none yet (an analysis still running).
      const codeActions = await waitFor(
        'quick-fixes for the missing-event-id-check diagnostic',
        quickFixes,
        UI_TIMEOUT_MS,
      ).catch(() => []);
      const preferred = codeActions.filter(
        (action) => action.isPreferred && action.title.startsWith('Add a Redis dedup guard'),
      );
      if (preferred.length !== 1)
        throw new Error(`expected one preferred 'Add a Redis dedup guard…' quick-fix; got: ${JSON.stringify(titles)}`);
      const [fix] = preferred;
      if (!fix.edit) throw new Error(`'${fix.title}' has no workspace edit`);
      const before = document.version;
      if (!(await vscode.workspace.applyEdit(fix.edit))) throw new Error(`workspace.applyEdit refused '${fix.title}'`);
      if (document.version === before) throw new Error('the document did not change');
      const text = document.getText();
      if (!/\.set\(dedupKey, 'processing', 'EX', \d+, 'NX'\)/.test(text))
        throw new Error(`the edited document has no SET NX claim:\n${text}`);
      await waitFor(
        'the missing-event-id-check diagnostic to disappear',
        () => !findDiagnostic(document.uri, 'missing-event-id-check'),
        DIAGNOSTICS_TIMEOUT_MS,
        () => describeDiagnostics(document.uri),
      );
      // Once republished for the edited text, no other finding either.
      await sleep(500);
      const left = ours(document.uri);
      if (left.length) throw new Error(`the fix left delivery-lint findings: ${describeDiagnostics(document.uri)}`);
      // Written to the temporary copy only, so no unsaved editor is left behind.
      await document.save();
      return { title: fix.title, quickFixes: titles };
    },
  );

  await check(
    'invoice-email.consumer.ts: ack-before-process error on line 20',
    ['the extension activates and registers its commands'],
    async () => {
      invoiceEmail = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(root, INVOICE_EMAIL)));
      await vscode.window.showTextDocument(invoiceEmail);
      const uri = invoiceEmail.uri;
      const ack = await waitFor(
        'the ack-before-process diagnostic',
        () => findDiagnostic(uri, 'ack-before-process'),
        DIAGNOSTICS_TIMEOUT_MS,
        () => describeDiagnostics(uri),
      );
      if (ack.severity !== vscode.DiagnosticSeverity.Error)
        throw new Error(`severity ${vscode.DiagnosticSeverity[ack.severity]}, expected Error`);
      if (ack.range.start.line !== 19)
        throw new Error(`reported on zero-based line ${ack.range.start.line}, expected 19`);
      const acked = invoiceEmail.getText(ack.range);
      if (acked !== 'channel.ack(msg)') throw new Error(`the range covers '${acked}', expected 'channel.ack(msg)'`);
      return { message: ack.message };
    },
  );

  await check(
    'deliveryLint.explain opens the explainer webview panel',
    ['invoice-email.consumer.ts: ack-before-process error on line 20'],
    async () => {
      await vscode.window.showTextDocument(invoiceEmail!);
      await vscode.commands.executeCommand('deliveryLint.explain');
      const tab = await waitFor(
        'an explainer webview tab',
        () => webviewTabs().find((candidate) => candidate.viewType.includes('deliveryLint.explainer')),
        UI_TIMEOUT_MS,
        () => JSON.stringify(webviewTabs()),
      );
      return tab;
    },
  );

  await check('deliveryLint.showOutput runs', ['the extension activates and registers its commands'], async () => {
    await vscode.commands.executeCommand('deliveryLint.showOutput');
  });

  await check(
    'deliveryLint.restartServer restarts the server and diagnostics come back',
    ['invoice-email.consumer.ts: ack-before-process error on line 20'],
    async () => {
      const uri = invoiceEmail!.uri;
      let cleared = false;
      const listener = vscode.languages.onDidChangeDiagnostics((event) => {
        if (
          event.uris.some((changed) => changed.toString() === uri.toString()) &&
          !findDiagnostic(uri, 'ack-before-process')
        )
          cleared = true;
      });
      try {
        const started = Date.now();
        await vscode.commands.executeCommand('deliveryLint.restartServer');
        await waitFor(
          'ack-before-process after the restart',
          () => findDiagnostic(uri, 'ack-before-process'),
          DIAGNOSTICS_TIMEOUT_MS,
          () => describeDiagnostics(uri),
        );
        return { ms: Date.now() - started, clearedWhileRestarting: cleared };
      } finally {
        listener.dispose();
      }
    },
  );

  result.done = true;
  result.finishedAt = new Date().toISOString();
  save();
  const failed = result.checks.filter((entry) => !entry.pass);
  if (failed.length)
    throw new Error(
      `delivery-lint extension-host suite: ${failed.length} of ${result.checks.length} checks failed:\n${failed.map((entry) => `- ${entry.name}: ${entry.error}`).join('\n')}`,
    );
}
