/**
 * The language server when a package.json changes on disk: its `imports` (and `type`) decide where
 * a project's own `#name` imports lead and whether its files are ES modules, so the change redoes
 * module resolution and the open consumers are analysed again. Programs share the resolution's
 * package.json cache from one edit to the next, so without this the old mapping would stay.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { LspClient } from './client';

const CONSUMER = `import { Kafka } from 'kafkajs';
import { save } from '#store';

const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      await save(message.value!.toString());
    },
  });
}
`;

const INSERTING_STORE = `import { Pool } from 'pg';

const pool = new Pool();

export async function save(raw: string): Promise<void> {
  await pool.query('INSERT INTO ledger (raw) VALUES ($1)', [raw]);
}
`;

const LOGGING_STORE = `export async function save(raw: string): Promise<void> {
  console.log('payment captured', raw.length);
}
`;

function packageJson(store: string): string {
  return JSON.stringify({ name: 'ledger', private: true, imports: { '#store': store } }, null, 2) + '\n';
}

describe("a package.json's imports changed on disk", () => {
  let client: LspClient;
  let root: string;
  let consumerFile: string;
  let manifest: string;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-package-json-'));
    fs.mkdirSync(path.join(root, 'src'));
    consumerFile = path.join(root, 'src', 'consumer.ts');
    manifest = path.join(root, 'package.json');
    fs.writeFileSync(consumerFile, CONSUMER);
    fs.writeFileSync(path.join(root, 'src', 'insert-store.ts'), INSERTING_STORE);
    fs.writeFileSync(path.join(root, 'src', 'log-store.ts'), LOGGING_STORE);
    fs.writeFileSync(manifest, packageJson('./src/insert-store.ts'));
    fs.writeFileSync(
      path.join(root, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'esnext', moduleResolution: 'bundler', strict: true } }),
    );
    client = new LspClient();
    await client.initialize(root);
  });

  after(async () => {
    await client?.shutdown();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('`#store` leads to the inserting helper: the unchecked insert is reported', async () => {
    const first = client.waitForDiagnostics(consumerFile);
    await client.open(consumerFile, CONSUMER);
    const { diagnostics } = await first;
    assert.deepEqual(
      diagnostics.map((diagnostic) => diagnostic.code),
      ['missing-event-id-check'],
    );
  });

  test('`#store` now leads to a helper that only logs: the finding goes', async () => {
    const cleared = client.waitForDiagnostics(consumerFile, (params) => params.diagnostics.length === 0);
    fs.writeFileSync(manifest, packageJson('./src/log-store.ts'));
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: pathToFileURL(manifest).toString(), type: 2 }],
    });
    await cleared;
  });
});
