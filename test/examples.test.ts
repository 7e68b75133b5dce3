import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..');

interface EslintResult {
  filePath: string;
  messages: { ruleId: string; line: number; severity: number }[];
}

test('the README main command finds exactly the bugs planted in examples/ (examples/README.md)', () => {
  const run = spawnSync(process.execPath, ['dist/cli.js', 'examples/', '--format', 'json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(run.status, 1, `expected exit 1 (errors found); stderr: ${run.stderr}`);
  const results = JSON.parse(run.stdout) as EslintResult[];
  const found = results
    .flatMap((result) => result.messages.map((message) => `${path.relative(path.join(ROOT, 'examples/src'), result.filePath)}:${message.line} ${message.ruleId}`))
    .sort();
  assert.deepEqual(found, [
    'kafka/inventory.consumer.ts:19 ack-before-process',
    'kafka/order-placed.consumer.ts:14 missing-event-id-check',
    'rabbit/invoice-email.consumer.ts:20 ack-before-process',
    'sqs/dispute.consumer.ts:19 non-idempotent-handler',
    'sqs/receipt.consumer.ts:22 ack-before-process',
  ]);
  // Every file of the service is reported on, with or without findings (ESLint's shape).
  assert.ok(results.length >= 20, `expected all example files in the JSON, got ${results.length}`);
});

test('the examples explain: eight consumers across the three libraries', () => {
  const run = spawnSync(process.execPath, ['dist/cli.js', 'examples/', '--format', 'json', '--explain'], { cwd: ROOT, encoding: 'utf8' });
  const output = JSON.parse(run.stdout) as { consumers: { registration: { library: string } }[] };
  const libraries = output.consumers.map((consumer) => consumer.registration.library).sort();
  assert.deepEqual(libraries, ['amqplib', 'amqplib', 'kafkajs', 'kafkajs', 'kafkajs', 'kafkajs', 'sqs-consumer', 'sqs-consumer']);
});
