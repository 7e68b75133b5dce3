/**
 * The language server when delivery-lint.config.json breaks: the status notification carries the
 * error, the client is told once with a button that opens the file at the error, and the analysis
 * keeps the last valid config (said so) until the file is fixed. Also: after each analysis the
 * server asks a client that supports it to refresh its code lenses, so they follow the diagnostics.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { LspClient } from './client';
import type { StatusParams } from '../../server/src/lsp/protocol';

const CONSUMER = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      await pool.query('INSERT INTO ledger (raw) VALUES ($1)', [message.value!.toString()]);
    },
  });
}
`;

const VALID = JSON.stringify({ rules: { 'missing-event-id-check': 'error' } }, null, 2) + '\n';
const INVALID = '{\n  "rules": {\n    "missing-event-id-check": "error",\n  }\n}\n';

describe('an unusable delivery-lint.config.json', () => {
  let client: LspClient;
  let root: string;
  let file: string;
  let configFile: string;
  const statuses: StatusParams[] = [];
  const messages: { message: string; actions?: { title: string }[] }[] = [];
  const shown: { uri: string; selection?: { start: { line: number; character: number } } }[] = [];
  let lensRefreshes = 0;

  function waitFor<T>(find: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const poll = () => {
        const found = find();
        if (found !== undefined) resolve(found);
        else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`));
        else setTimeout(poll, 20);
      };
      poll();
    });
  }

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-config-status-'));
    file = path.join(root, 'consumer.ts');
    configFile = path.join(root, 'delivery-lint.config.json');
    fs.writeFileSync(file, CONSUMER);
    fs.writeFileSync(configFile, VALID);
    client = new LspClient();
    client.connection.onNotification('deliveryLint/status', (params: StatusParams) => {
      statuses.push(params);
    });
    client.connection.onRequest(
      'window/showMessageRequest',
      (params: { message: string; actions?: { title: string }[] }) => {
        messages.push(params);
        return params.actions?.[0] ?? null;
      },
    );
    client.connection.onNotification('window/showMessage', (params: { message: string }) => {
      messages.push(params);
    });
    client.connection.onRequest('window/showDocument', (params: (typeof shown)[number]) => {
      shown.push(params);
      return { success: true };
    });
    client.connection.onRequest('workspace/codeLens/refresh', () => {
      lensRefreshes++;
      return null;
    });
    await client.initialize(root, {
      workspace: { codeLens: { refreshSupport: true } },
      window: { showDocument: { support: true } },
    });
    const first = client.waitForDiagnostics(file);
    await client.open(file, CONSUMER);
    const { diagnostics } = await first;
    assert.deepEqual(
      diagnostics.map((diagnostic) => `${diagnostic.code}:${diagnostic.severity}`),
      ['missing-event-id-check:1'],
      'the config makes the finding an error',
    );
  });

  after(async () => {
    await client?.shutdown();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('code lenses are refreshed after an analysis', async () => {
    await waitFor(() => (lensRefreshes > 0 ? true : undefined), 'workspace/codeLens/refresh');
  });

  test('a broken file: the status carries the error, the client is told once with a button, the last valid config stays', async () => {
    fs.writeFileSync(configFile, INVALID);
    const publications = client.publications(file);
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: pathToFileURL(configFile).toString(), type: 2 }],
    });
    // The status follows the re-analysis; the diagnostics did not change, so none were published again.
    const status = await waitFor(
      () => [...statuses].reverse().find((entry) => entry.configError && entry.state === 'ready'),
      'a status with the error',
    );
    assert.equal(client.publications(file), publications, 'unchanged diagnostics are not published again');
    assert.deepEqual(
      client.latestDiagnostics(file).map((diagnostic) => `${diagnostic.code}:${diagnostic.severity}`),
      ['missing-event-id-check:1'],
      'still an error: the last valid config is in use, not the defaults (a warning)',
    );
    assert.equal(status.configError!.fallback, 'last-valid');
    assert.match(status.configError!.message, /invalid JSON/);
    assert.equal(status.configError!.uri, pathToFileURL(configFile).toString());
    assert.equal(
      status.configError!.line,
      3,
      'the 0-based line of the error (line 4, the closing brace after a trailing comma)',
    );
    const message = await waitFor(() => messages.find((entry) => /invalid JSON/.test(entry.message)), 'the message');
    assert.match(message.message, /Using the last valid configuration until the file is fixed/);
    assert.deepEqual(message.actions, [{ title: 'Open delivery-lint.config.json' }]);
    const opened = await waitFor(() => shown[0], 'window/showDocument');
    assert.equal(opened.uri, pathToFileURL(configFile).toString());
    assert.equal(opened.selection?.start.line, 3);

    // The same error again (another edit): the status keeps saying it, the message is not repeated.
    const again = client.waitForDiagnostics(file);
    await client.change(file, CONSUMER + '\n');
    await again;
    assert.equal(messages.filter((entry) => /invalid JSON/.test(entry.message)).length, 1);
  });

  test('fixed again: the status has no error', async () => {
    fs.writeFileSync(configFile, VALID);
    const count = statuses.length;
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: pathToFileURL(configFile).toString(), type: 2 }],
    });
    // (a run already under way may still report the error once)
    const status = await waitFor(
      () => statuses.slice(count).find((entry) => entry.state === 'ready' && !entry.configError),
      'a ready status without the error',
    );
    assert.equal(status.configError, undefined);
  });
});
