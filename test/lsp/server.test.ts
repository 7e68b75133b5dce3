/**
 * The language server over a real stdio connection: diagnostics, code actions applied and
 * re-checked, hover, code lens, the consumer-report request, incremental edits, settings, and
 * survival of half-typed code.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, applyWorkspaceEdit } from './client';

const EXAMPLES = path.resolve(__dirname, '..', '..', 'examples');
const ORDER_PLACED = path.join(EXAMPLES, 'src/kafka/order-placed.consumer.ts');
const INVOICE_EMAIL = path.join(EXAMPLES, 'src/rabbit/invoice-email.consumer.ts');
const BILLING = path.join(EXAMPLES, 'src/services/billing.ts');

function byRule(diagnostics: Diagnostic[], rule: string): Diagnostic[] {
  return diagnostics.filter((diagnostic) => diagnostic.code === rule);
}

describe('language server over stdio', () => {
  let client: LspClient;

  before(async () => {
    client = new LspClient();
    const result = (await client.initialize(EXAMPLES)) as { capabilities: Record<string, unknown> };
    assert.ok(result.capabilities.codeActionProvider, 'code actions advertised');
    assert.equal(result.capabilities.hoverProvider, true);
    assert.ok(result.capabilities.codeLensProvider);
  });

  after(async () => {
    await client.shutdown();
  });

  test('publishes diagnostics with code, docs link, source and related locations', async () => {
    const text = fs.readFileSync(ORDER_PLACED, 'utf8');
    const published = client.waitForDiagnostics(ORDER_PLACED);
    await client.open(ORDER_PLACED, text);
    const { diagnostics } = await published;
    const [missing] = byRule(diagnostics, 'missing-event-id-check');
    assert.ok(missing, `expected missing-event-id-check, got ${JSON.stringify(diagnostics.map((d) => d.code))}`);
    assert.equal(missing.source, 'delivery-lint');
    assert.equal(missing.severity, 2);
    assert.equal(missing.range.start.line, 13);
    assert.match(missing.codeDescription!.href, /docs\/rules\/missing-event-id-check\.md$/);
    assert.match(messageText(missing), /charges the customer a second time/);
    const relatedFiles = missing.relatedInformation!.map((related) => path.basename(related.location.uri));
    assert.ok(relatedFiles.includes('billing.ts'), 'related locations point into the helper');
  });

  test('hover on the handler shows library, ack mode, semantics and effects', async () => {
    const hover = await client.hover(ORDER_PLACED, 13, 20);
    assert.ok(hover, 'hover answered');
    const value = (hover.contents as { kind: string; value: string }).value;
    assert.match(value, /kafkajs/);
    assert.match(value, /implicit-after-return/);
    assert.match(value, /declared: \*\*at-least-once\*\* · effective: \*\*at-least-once\*\*/);
    assert.match(value, /Stripe charges\.create/);
    // An effect in another file names that file (a link), not a bare line number of this one.
    assert.match(value, /Stripe charges\.create \(\[[\w./-]*billing\.ts:\d+\]\(file:\/\/[^)]*billing\.ts#L\d+\)/);
    // Compact: the rest is in the panel, one click away.
    assert.match(value, /\[More: [^\]]+\]\(command:deliveryLint\.explainConsumer\?/);
    // One line: the effective semantics and the worst outcome of a crash, from the crash timeline.
    assert.ok(
      value
        .split('\n')
        .includes(
          'effective: **at-least-once** · worst crash: **duplicate** (Stripe charges.create and prisma.invoice.create run twice)',
        ),
      `hover has the crash line:\n${value}`,
    );
  });

  test('code lens above the consumer summarises it', async () => {
    const lenses = await client.codeLens(ORDER_PLACED);
    assert.equal(lenses.length, 1);
    assert.equal(
      lenses[0].command!.title,
      'kafkajs · orders.placed · at-least-once · 2 unsafe effects, no dedup check · Explain',
    );
    assert.equal(lenses[0].command!.command, 'deliveryLint.explainConsumer');
  });

  test('the consumer-report request returns the consumers of a document', async () => {
    const reports = await client.request<
      {
        registration: { library: string; source: string };
        effects: unknown[];
        paths?: unknown;
        timeline?: { steps: { kind: string }[]; worst: { kind: string } };
      }[]
    >('deliveryLint/consumerReports', { uri: client.uri(ORDER_PLACED) });
    assert.equal(reports.length, 1);
    assert.equal(reports[0].registration.library, 'kafkajs');
    assert.equal(reports[0].registration.source, 'orders.placed');
    assert.equal(reports[0].effects.length, 2);
    assert.equal(reports[0].paths, undefined);
    // The server derives the crash timeline when a feature reads it; the panel gets it whole.
    assert.deepEqual(
      reports[0].timeline?.steps.map((step) => step.kind),
      ['receive', 'effect', 'effect', 'return'],
    );
    assert.equal(reports[0].timeline?.worst.kind, 'duplicate');
  });

  test('the preferred quick-fix inserts a Redis guard and the diagnostic goes away', async () => {
    const [missing] = byRule(client.latestDiagnostics(ORDER_PLACED), 'missing-event-id-check');
    const actions = await client.codeActions(ORDER_PLACED, missing);
    const titles = actions.map((action) => action.title);
    assert.ok(
      titles.some((title) => title.startsWith('Add a Redis dedup guard')),
      titles.join('\n'),
    );
    assert.ok(
      titles.some((title) => title.startsWith('Suppress missing-event-id-check')),
      'suppression offered',
    );
    const preferred = actions.find((action) => action.isPreferred)!;
    assert.match(preferred.title, /Redis/);
    const fixed = applyWorkspaceEdit(fs.readFileSync(ORDER_PLACED, 'utf8'), preferred.edit!, client.uri(ORDER_PLACED));
    // The project's own ioredis client (the BullMQ connection the file imports) is reused.
    assert.match(fixed, /await connection\.set\(dedupKey, 'processing', 'EX', 300, 'NX'\)/);
    const republished = client.waitForDiagnostics(ORDER_PLACED);
    await client.change(ORDER_PLACED, fixed);
    const { diagnostics } = await republished;
    assert.deepEqual(byRule(diagnostics, 'missing-event-id-check'), []);
    assert.deepEqual(diagnostics, [], 'the fix introduces no other finding');
    // Back to the file's real text for the next tests.
    const restored = client.waitForDiagnostics(ORDER_PLACED);
    await client.change(ORDER_PLACED, fs.readFileSync(ORDER_PLACED, 'utf8'));
    assert.equal(byRule((await restored).diagnostics, 'missing-event-id-check').length, 1);
  });

  test('the suppression quick-fix silences the finding', async () => {
    const [missing] = byRule(client.latestDiagnostics(ORDER_PLACED), 'missing-event-id-check');
    const actions = await client.codeActions(ORDER_PLACED, missing);
    const suppress = actions.find((action) => action.title.startsWith('Suppress'))!;
    const text = applyWorkspaceEdit(fs.readFileSync(ORDER_PLACED, 'utf8'), suppress.edit!, client.uri(ORDER_PLACED));
    // A client without snippet edits gets the placeholder as text; left as it is, it is reported.
    assert.match(
      text,
      /\/\/ delivery-lint-disable-next-line missing-event-id-check -- <why this finding does not apply>\n/,
    );
    const unexplained = client.waitForDiagnostics(ORDER_PLACED);
    await client.change(ORDER_PLACED, text);
    assert.deepEqual(
      (await unexplained).diagnostics.map((diagnostic) => diagnostic.code),
      ['suppression-directive'],
      'the finding is suppressed, and the suppression without a reason is reported',
    );
    const republished = client.waitForDiagnostics(ORDER_PLACED);
    await client.change(
      ORDER_PLACED,
      text.replace('<why this finding does not apply>', 'replayed from an outbox with its own dedup'),
    );
    assert.deepEqual((await republished).diagnostics, []);
    const restored = client.waitForDiagnostics(ORDER_PLACED);
    await client.change(ORDER_PLACED, fs.readFileSync(ORDER_PLACED, 'utf8'));
    await restored;
  });

  test('fix-all applies only safe fixes: none of the behaviour-changing ones', async () => {
    const [missing] = byRule(client.latestDiagnostics(ORDER_PLACED), 'missing-event-id-check');
    const actions = await client.codeActions(ORDER_PLACED, missing, ['source.fixAll.delivery-lint']);
    assert.deepEqual(actions, []);
  });

  test('moving the ack after the work fixes ack-before-process', async () => {
    const text = fs.readFileSync(INVOICE_EMAIL, 'utf8');
    const published = client.waitForDiagnostics(INVOICE_EMAIL);
    await client.open(INVOICE_EMAIL, text);
    const [early] = byRule((await published).diagnostics, 'ack-before-process');
    assert.ok(early);
    const actions = await client.codeActions(INVOICE_EMAIL, early);
    const move = actions.find((action) => action.title.startsWith('Move channel.ack()'));
    assert.ok(move, actions.map((action) => action.title).join('\n'));
    const fixed = applyWorkspaceEdit(text, move.edit!, client.uri(INVOICE_EMAIL));
    const republished = client.waitForDiagnostics(INVOICE_EMAIL);
    await client.change(INVOICE_EMAIL, fixed);
    assert.deepEqual(byRule((await republished).diagnostics, 'ack-before-process'), []);
    // The edited version's report, asked for by the panel before any hover or lens: its crash
    // timeline is derived for the request, and no step of it loses the message any more.
    const [report] = await client.request<{ timeline?: { steps: { kind: string }[]; worst: { kind: string } } }[]>(
      'deliveryLint/consumerReports',
      { uri: client.uri(INVOICE_EMAIL) },
    );
    assert.ok(report.timeline?.steps.some((step) => step.kind === 'settle'));
    assert.notEqual(report.timeline?.worst.kind, 'lost');
  });

  test('an edit to a helper file updates the consumer that reaches it', async () => {
    const billing = fs.readFileSync(BILLING, 'utf8');
    await client.open(BILLING, billing);
    const keyed = billing.replace(
      /stripe\.charges\.create\(\{([\s\S]*?)\}\)/,
      (_match, body: string) => `stripe.charges.create({${body}}, { idempotencyKey: \`charge-\${order.orderId}\` })`,
    );
    assert.notEqual(keyed, billing, 'the fixture has the Stripe call');
    const republished = client.waitForDiagnostics(
      ORDER_PLACED,
      (params) => params.diagnostics.length > 0 && params.diagnostics.every((d) => !/Stripe/.test(messageText(d))),
    );
    await client.change(BILLING, keyed);
    const { diagnostics } = await republished;
    const [missing] = byRule(diagnostics, 'missing-event-id-check');
    assert.ok(missing, 'the invoice insert is still unprotected');
    assert.doesNotMatch(messageText(missing), /Stripe/);
    const restored = client.waitForDiagnostics(ORDER_PLACED, (params) =>
      params.diagnostics.some((d) => /Stripe/.test(messageText(d))),
    );
    await client.change(BILLING, billing);
    await restored;
    await client.close(BILLING);
  });

  test('half-typed code on every keystroke never wedges the server', async () => {
    const text = fs.readFileSync(ORDER_PLACED, 'utf8');
    // Type the file's last 400 characters one by one, then check the server still answers.
    const cut = text.length - 400;
    await client.change(ORDER_PLACED, text.slice(0, cut));
    for (let end = cut + 1; end <= text.length; end += 1) await client.change(ORDER_PLACED, text.slice(0, end));
    const { diagnostics } = await client.waitForDiagnostics(ORDER_PLACED);
    assert.equal(byRule(diagnostics, 'missing-event-id-check').length, 1);
    assert.equal(client.exited, false);
    const lenses = await client.codeLens(ORDER_PLACED);
    assert.equal(lenses.length, 1);
  });

  test('garbage text is analysed without a crash', async () => {
    const published = client.waitForDiagnostics(ORDER_PLACED);
    await client.change(
      ORDER_PLACED,
      "import { Kafka } from 'kafkajs';\nconsumer.run({ eachMessage: async ({ message }) => { await fetch(`x`, { method: 'POST' ",
    );
    await published;
    assert.equal(client.exited, false);
    const restored = client.waitForDiagnostics(ORDER_PLACED);
    await client.change(ORDER_PLACED, fs.readFileSync(ORDER_PLACED, 'utf8'));
    assert.equal(byRule((await restored).diagnostics, 'missing-event-id-check').length, 1);
  });

  test('settings turn a rule off and disable the server', async () => {
    client.settings = { enable: true, rules: { 'missing-event-id-check': 'off' }, guardStrategy: 'redis' };
    let republished = client.waitForDiagnostics(ORDER_PLACED, (params) => params.diagnostics.length === 0);
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await republished;
    // (sql would offer no inbox here: the handler's writes are in a helper, which an edit cannot move into the transaction)
    client.settings = { enable: true, rules: {}, guardStrategy: 'memory' };
    republished = client.waitForDiagnostics(ORDER_PLACED, (params) => params.diagnostics.length === 1);
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    const [missing] = (await republished).diagnostics;
    const actions = await client.codeActions(ORDER_PLACED, missing);
    assert.match(
      actions.find((action) => action.isPreferred)!.title,
      /in-memory/,
      'guardStrategy memory makes the memory fix preferred',
    );
    client.settings = { enable: false };
    republished = client.waitForDiagnostics(ORDER_PLACED, (params) => params.diagnostics.length === 0);
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: {} });
    await republished;
    client.settings = { enable: true, rules: {}, guardStrategy: 'redis' };
  });
});

/** A diagnostic's message as text (LSP allows markup content too). */
function messageText(diagnostic: Diagnostic): string {
  return typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
}
