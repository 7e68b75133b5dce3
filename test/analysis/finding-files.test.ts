/**
 * How the CLI finds the project's files and its consumers (docs/model.md, "Finding the project and
 * its consumers"): folders named like build outputs are linted unless they are one (a tsconfig's
 * `outDir`, or a path git ignores), and a file consuming from an amqplib channel that a project
 * helper returns is analysed though it imports no broker library.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runLint } from '../../server/src/pipeline/lint';
import { MODES, TestProject, configWith } from '../helpers/project';

const base = (file: string): string => file.split('/').pop()!;

/** A Kafka consumer that writes without checking the event id: one finding, wherever it is. */
const KAFKA_CONSUMER = (group: string): string => `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: '${group}' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: '${group}' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString()) as { id: string; total: number };
      await pool.query('INSERT INTO totals (id, total) VALUES ($1, $2)', [event.id, event.total]);
    },
  });
}
`;

const COMPILED_CONSUMER = (group: string): string => `"use strict";
const { Kafka } = require('kafkajs');
const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: '${group}' });
consumer.run({ eachMessage: async ({ message }) => { console.log(message.value); } });
`;

for (const mode of MODES) {
  describe(`finding the project's files (${mode})`, () => {
    test("a source folder named like a build output is linted; a tsconfig's outDir and git-ignored outputs are not", () => {
      const project = new TestProject(mode, 'output-folders');
      try {
        project.write({
          'tsconfig.json': JSON.stringify({
            compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true, outDir: './lib' },
          }),
          'src/core/build/consumer.ts': KAFKA_CONSUMER('builds'),
          'src/out/consumer.ts': KAFKA_CONSUMER('outbound'),
          'lib/core/build/consumer.js': COMPILED_CONSUMER('compiled'),
          'tools/.gitignore': '# generated\nbuild/\n',
          'tools/build/consumer.js': COMPILED_CONSUMER('tooling'),
        });
        const run = runLint({ cwd: project.root, paths: [project.root], config: configWith() });
        assert.deepEqual(run.consumers.map((consumer) => consumer.registration.source).sort(), ['builds', 'outbound']);
        assert.ok(run.filesLinted.every((file) => !file.includes('/lib/') && !file.includes('/tools/build/')));
      } finally {
        project.remove();
      }
    });

    test('an amqplib channel returned by a helper: the consuming file imports no broker library', () => {
      const project = new TestProject(mode, 'amqp-helper');
      try {
        project.write({
          'src/rabbit.ts': `import * as amqp from 'amqplib';

let channel: amqp.Channel | undefined;

export async function getChannel(): Promise<amqp.Channel> {
  if (!channel) {
    const connection = await amqp.connect('amqp://localhost');
    channel = await connection.createChannel();
  }
  return channel;
}
`,
          'src/workers/invoices.ts': `import { Pool } from 'pg';
import { getChannel } from '../rabbit';

const pool = new Pool();

export async function startInvoices(): Promise<void> {
  const channel = await getChannel();
  await channel.consume('invoices', async (msg) => {
    if (!msg) return;
    const payment = JSON.parse(msg.content.toString()) as { accountId: string; amount: number };
    await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [payment.amount, payment.accountId]);
    channel.ack(msg);
  });
}
`,
          'src/unrelated.ts': `export function consume(items: string[]): number {
  return items.length;
}
`,
        });
        const run = runLint({ cwd: project.root, paths: [project.root], config: configWith() });
        assert.deepEqual(
          run.consumers.map(
            (consumer) => `${consumer.registration.source}@${base(consumer.registration.location.filePath)}`,
          ),
          ['invoices@invoices.ts'],
        );
        assert.deepEqual(
          run.findings.map((finding) => `${finding.ruleId}@${base(finding.location.filePath)}`),
          ['missing-event-id-check@invoices.ts'],
        );
      } finally {
        project.remove();
      }
    });
  });
}
