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
  const run = spawnSync(process.execPath, ['dist/cli.js', 'examples/', '--format', 'json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  assert.equal(run.status, 1, `expected exit 1 (errors found); stderr: ${run.stderr}`);
  const results = JSON.parse(run.stdout) as EslintResult[];
  const found = results
    .flatMap((result) =>
      result.messages.map(
        (message) =>
          `${path.relative(path.join(ROOT, 'examples/src'), result.filePath)}:${message.line} ${message.ruleId}`,
      ),
    )
    .sort();
  assert.deepEqual(found, [
    'bullmq/dunning.processor.ts:12 missing-event-id-check',
    'confluent/renewal-invoice.consumer.ts:17 missing-event-id-check',
    'kafka/inventory.consumer.ts:19 ack-before-process',
    'kafka/order-placed.consumer.ts:14 missing-event-id-check',
    'lambda/payout.handler.ts:19 missing-event-id-check',
    'nats/shipping-label.consumer.ts:23 ack-before-process',
    'nest/shipping.controller.ts:21 ack-before-process',
    'pubsub/tax-filing.consumer.ts:16 ack-before-process',
    'rabbit/invoice-email.consumer.ts:20 ack-before-process',
    'redis-streams/loyalty-points.consumer.ts:21 missing-event-id-check',
    'servicebus/usage-charge.consumer.ts:13 missing-event-id-check',
    'sqs-receive/ledger-export.poller.ts:26 ack-before-process',
    'sqs/dispute.consumer.ts:19 non-idempotent-handler',
    'sqs/receipt.consumer.ts:22 ack-before-process',
  ]);
  // Every file of the service is reported on, with or without findings (ESLint's shape).
  assert.ok(results.length >= 20, `expected all example files in the JSON, got ${results.length}`);
});

test('the examples explain: every supported library appears, with a correct and a buggy consumer', () => {
  const run = spawnSync(process.execPath, ['dist/cli.js', 'examples/', '--format', 'json', '--explain'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const output = JSON.parse(run.stdout) as { consumers: { registration: { library: string } }[] };
  const libraries = output.consumers.map((consumer) => consumer.registration.library).sort();
  assert.deepEqual(libraries, [
    'amqplib',
    'amqplib',
    'azure-service-bus',
    'azure-service-bus',
    'bullmq',
    'bullmq',
    'client-sqs',
    'client-sqs',
    'confluent-kafka',
    'confluent-kafka',
    'google-pubsub',
    'google-pubsub',
    'kafkajs',
    'kafkajs',
    'kafkajs',
    'kafkajs',
    'lambda-sqs',
    'lambda-sqs',
    'nats-jetstream',
    'nats-jetstream',
    'nestjs-microservices',
    'nestjs-microservices',
    'redis-streams',
    'redis-streams',
    'redis-streams',
    'sqs-consumer',
    'sqs-consumer',
  ]);
});
