/**
 * Wrappers and dispatch tables (docs/model.md, "Wrappers, dispatch tables and where findings go"): callbacks passed to a function that registers a
 * consumer are handlers; handler maps are followed where the checker resolves the targets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import { runLint } from '../../server/src/pipeline/lint';
import { MODES, TestProject, configWith } from '../helpers/project';

const KAFKA_WRAPPER = `import { Kafka } from 'kafkajs';

const kafka = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] });

/** Subscribes a typed handler to a topic; the offset is committed when the handler resolves. */
export async function subscribe<T>(topic: string, groupId: string, handler: (event: T) => Promise<void>): Promise<void> {
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString()) as T;
      await handler(event);
    },
  });
}
`;

const AMQP_CLASS_WRAPPER = `import amqp from 'amqplib';

export class RabbitBus {
  constructor(private readonly url: string) {}

  async listen(queue: string, onMessage: (body: { id: string; email: string }) => Promise<void>): Promise<void> {
    const channel = await (await amqp.connect(this.url)).createChannel();
    await channel.consume(queue, async (msg) => {
      if (!msg) return;
      channel.ack(msg);
      await onMessage(JSON.parse(msg.content.toString()));
    });
  }
}
`;

const CALLERS = `import { Pool } from 'pg';
import Redis from 'ioredis';
import { subscribe } from './bus/kafka';
import { RabbitBus } from './bus/rabbit';

const pool = new Pool();
const redis = new Redis();

interface OrderPlaced { orderId: string; total: number }

export async function start(): Promise<void> {
  await subscribe<OrderPlaced>('orders.placed', 'billing', async (order) => {
    await pool.query('INSERT INTO invoices (order_id, total) VALUES ($1, $2)', [order.orderId, order.total]);
  });

  await subscribe<OrderPlaced>('orders.shipped', 'billing', async (order) => {
    if (await redis.exists(\`shipped:\${order.orderId}\`)) return;
    await pool.query('INSERT INTO shipments (order_id) VALUES ($1)', [order.orderId]);
    await redis.set(\`shipped:\${order.orderId}\`, '1');
  });

  const bus = new RabbitBus('amqp://rabbit');
  await bus.listen('welcome-emails', sendWelcome);
}

async function sendWelcome(body: { id: string; email: string }): Promise<void> {
  await pool.query('INSERT INTO welcome_log (user_id) VALUES ($1)', [body.id]);
}
`;

const DISPATCH = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

interface Event { type: 'created' | 'deleted'; id: string }

async function onCreated(event: Event): Promise<void> {
  await pool.query('INSERT INTO users (external_id) VALUES ($1)', [event.id]);
}

async function onDeleted(event: Event): Promise<void> {
  await pool.query('DELETE FROM users WHERE external_id = $1', [event.id]);
}

const handlers: Record<Event['type'], (event: Event) => Promise<void>> = { created: onCreated, deleted: onDeleted };

export const users = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123/users',
  handleMessage: async (message) => {
    const event = JSON.parse(message.Body!) as Event;
    await handlers[event.type](event);
  },
});
`;

for (const mode of MODES) {
  describe(`wrappers and dispatch tables (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    let files: string[];

    before(() => {
      project = new TestProject(mode, 'wrappers');
      files = project.write({
        'bus/kafka.ts': KAFKA_WRAPPER,
        'bus/rabbit.ts': AMQP_CLASS_WRAPPER,
        'callers.ts': CALLERS,
        'dispatch.ts': DISPATCH,
      });
      result = project.analyze(files);
    });
    after(() => project.remove());

    test('each call of a wrapper is a consumer, registered at the call, named by its topic', () => {
      const viaWrapper = result.consumers.filter((consumer) => consumer.registration.wrapperLocation);
      assert.deepEqual(
        viaWrapper.map((consumer) => `${consumer.registration.library}:${consumer.registration.source}`).sort(),
        ['amqplib:welcome-emails', 'kafkajs:orders.placed', 'kafkajs:orders.shipped'],
      );
      for (const consumer of viaWrapper) assert.ok(consumer.registration.location.filePath.endsWith('/callers.ts'));
      // The wrapper's own registration is not reported again as a consumer of its own.
      assert.equal(
        result.consumers.filter((consumer) => consumer.registration.location.filePath.includes('/bus/')).length,
        0,
      );
    });

    test("the callback's effects are checked: an unguarded insert is reported on the callback", () => {
      const missing = result.findings.filter(
        (finding) => finding.ruleId === 'missing-event-id-check' && !finding.location.filePath.endsWith('/dispatch.ts'),
      );
      const lines = missing
        .map((finding) => `${finding.location.filePath.split('/').pop()}:${finding.location.line}`)
        .sort();
      assert.deepEqual(lines, ['callers.ts:12']);
      assert.match(missing[0].message, /kafkajs consumer of topic 'orders.placed'/);
      assert.match(missing[0].message, /INSERT INTO invoices/);
    });

    test('a guard inside the callback protects its effects', () => {
      const shipped = result.consumers.find((consumer) => consumer.registration.source === 'orders.shipped')!;
      assert.equal(shipped.guards.length, 1);
      assert.equal(shipped.effectiveSemantics, 'effectively-once');
    });

    test("the wrapper's ack order applies to every caller: the early ack is reported once, in the wrapper", () => {
      const early = result.findings.filter((finding) => finding.ruleId === 'ack-before-process');
      assert.equal(early.length, 1);
      assert.ok(early[0].location.filePath.endsWith('/bus/rabbit.ts'));
      assert.match(early[0].message, /INSERT INTO welcome_log/);
    });

    test('a dispatch table is followed: each handler of the map is a branch', () => {
      const users = result.consumers.find((consumer) => consumer.registration.library === 'sqs-consumer')!;
      assert.deepEqual(users.effects.map((effect) => effect.description.label).sort(), [
        'DELETE FROM users',
        'INSERT INTO users',
      ]);
      const missing = result.findings.filter(
        (finding) => finding.ruleId === 'missing-event-id-check' && finding.location.filePath.endsWith('/dispatch.ts'),
      );
      assert.equal(missing.length, 1);
      assert.match(missing[0].message, /INSERT INTO users/);
    });
  });
}

describe('the CLI follows wrappers into files that import no broker library', () => {
  test('a second pass adds the callers of a wrapper, and only them', () => {
    const project = new TestProject('untyped', 'wrapper-callers');
    try {
      project.write({
        'bus/kafka.ts': KAFKA_WRAPPER,
        'billing.ts': `import { subscribe } from './bus/kafka';\nimport { Pool } from 'pg';\nconst pool = new Pool();\nexport async function start(): Promise<void> {\n  await subscribe<{ id: string }>('invoices.requested', 'billing', async (request) => {\n    await pool.query('INSERT INTO invoices (request_id) VALUES ($1)', [request.id]);\n  });\n}\n`,
        'unrelated.ts': `export const answer = 42;\n`,
      });
      const run = runLint({ cwd: project.root, paths: [project.root], config: configWith() });
      assert.equal(run.filesAnalyzed, 2, 'the broker file and its one caller');
      assert.deepEqual(
        run.consumers.map((consumer) => consumer.registration.source),
        ['invoices.requested'],
      );
      assert.deepEqual(
        run.findings.map(
          (finding) => `${finding.ruleId}@${finding.location.filePath.split('/').pop()}:${finding.location.line}`,
        ),
        ['missing-event-id-check@billing.ts:5'],
      );
    } finally {
      project.remove();
    }
  });
});

describe('monorepo packages without node_modules', () => {
  test('a wrapper in a sibling workspace package is followed through its package name', () => {
    const project = new TestProject('untyped', 'workspaces');
    try {
      project.write({
        'packages/bus/package.json': JSON.stringify({ name: '@acme/bus', main: 'dist/index.js' }),
        'packages/bus/src/index.ts': `export { subscribe } from './kafka';\n`,
        'packages/bus/src/kafka.ts': KAFKA_WRAPPER,
        'apps/billing/src/main.ts': `import { subscribe } from '@acme/bus';\nimport { Pool } from 'pg';\nconst pool = new Pool();\nexport async function start(): Promise<void> {\n  await subscribe<{ id: string }>('payments.settled', 'billing', async (payment) => {\n    await pool.query('INSERT INTO ledger (payment_id) VALUES ($1)', [payment.id]);\n  });\n}\n`,
      });
      const run = runLint({ cwd: project.root, paths: [project.root], config: configWith() });
      assert.deepEqual(
        run.consumers.map(
          (consumer) =>
            `${consumer.registration.source}@${consumer.registration.location.filePath.split('/').slice(-3).join('/')}`,
        ),
        ['payments.settled@billing/src/main.ts'],
      );
      assert.deepEqual(
        run.findings.map((finding) => finding.ruleId),
        ['missing-event-id-check'],
      );
    } finally {
      project.remove();
    }
  });
});
