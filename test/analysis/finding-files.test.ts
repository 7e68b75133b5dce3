/**
 * How the CLI finds the project's files and its consumers (docs/model.md, "Finding the project and
 * its consumers"): folders named like build outputs are linted unless they are one (a tsconfig's
 * `outDir`, or a path git ignores), a file consuming from an amqplib channel that a project
 * helper returns is analysed though it imports no broker library, and monorepos reach their
 * workspace libraries (a root tsconfig.base.json's `paths`, a tsconfig extending a package that is
 * not installed, wildcard subpath `exports`).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
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

/** A helper module that opens the channel: the only file importing amqplib. */
const RABBIT_HELPER = `import * as amqp from 'amqplib';

let channel: amqp.Channel | undefined;

export async function getChannel(): Promise<amqp.Channel> {
  if (!channel) {
    const connection = await amqp.connect('amqp://localhost');
    channel = await connection.createChannel();
  }
  return channel;
}
`;

/** A consumer on the helper's channel, importing it through `specifier`. */
const PAYMENTS_CONSUMER = (specifier: string): string => `import { Pool } from 'pg';
import { getChannel } from '${specifier}';

const pool = new Pool();

export async function startPayments(): Promise<void> {
  const channel = await getChannel();
  await channel.consume('payments', async (msg) => {
    if (!msg) return;
    const payment = JSON.parse(msg.content.toString()) as { accountId: string; amount: number };
    await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [payment.amount, payment.accountId]);
    channel.ack(msg);
  });
}
`;

const COMPILER_OPTIONS = { target: 'ES2022', module: 'commonjs', moduleResolution: 'node', strict: true };

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

    const monorepo = (label: string, files: Record<string, string>, removeRootTsconfig: boolean): string[] => {
      const project = new TestProject(mode, label);
      try {
        project.write(files);
        if (removeRootTsconfig) fs.rmSync(project.path('tsconfig.json'));
        const run = runLint({ cwd: project.root, paths: [project.root], config: configWith() });
        return [
          ...run.consumers.map(
            (consumer) => `${consumer.registration.source}@${base(consumer.registration.location.filePath)}`,
          ),
          ...run.findings.map((finding) => `${finding.ruleId}@${base(finding.location.filePath)}`),
        ];
      } finally {
        project.remove();
      }
    };

    test('a monorepo with only a root tsconfig.base.json: its paths reach the workspace library', () => {
      const found = monorepo(
        'base-paths',
        {
          'tsconfig.base.json': JSON.stringify({
            compilerOptions: {
              ...COMPILER_OPTIONS,
              baseUrl: '.',
              paths: { '@acme/rabbit': ['libs/rabbit/src/index.ts'] },
            },
          }),
          'libs/rabbit/src/index.ts': RABBIT_HELPER,
          'apps/payments/src/main.ts': PAYMENTS_CONSUMER('@acme/rabbit'),
        },
        true,
      );
      assert.deepEqual(found, ['payments@main.ts', 'missing-event-id-check@main.ts']);
    });

    test('a tsconfig extending a package that is not installed keeps its own paths', () => {
      const found = monorepo(
        'extends-missing',
        {
          'tsconfig.json': JSON.stringify({
            extends: '@acme/tsconfig/node.json',
            compilerOptions: { ...COMPILER_OPTIONS, baseUrl: '.', paths: { '@infra/*': ['infra/*'] } },
          }),
          'infra/rabbit.ts': RABBIT_HELPER,
          'src/payments.ts': PAYMENTS_CONSUMER('@infra/rabbit'),
        },
        false,
      );
      assert.deepEqual(found, ['payments@payments.ts', 'missing-event-id-check@payments.ts']);
    });

    test('a workspace import through a wildcard subpath export', () => {
      const found = monorepo(
        'subpath-exports',
        {
          'package.json': JSON.stringify({ name: 'acme', private: true, workspaces: ['packages/*'] }),
          'packages/rabbit/package.json': JSON.stringify({
            name: '@acme/rabbit',
            exports: { './*': { types: './src/*.ts', default: './dist/*.js' } },
          }),
          'packages/rabbit/src/channel.ts': RABBIT_HELPER,
          'packages/payments/src/consumer.ts': PAYMENTS_CONSUMER('@acme/rabbit/channel'),
        },
        false,
      );
      assert.deepEqual(found, ['payments@consumer.ts', 'missing-event-id-check@consumer.ts']);
    });
  });
}
