/**
 * @confluentinc/kafka-javascript, its KafkaJS-compatible API (docs/model.md, "Per-library behaviour": as kafkajs):
 * `consumer.run({ eachMessage | eachBatch })` on a consumer of `new KafkaJS.Kafka({ kafkaJS })`.
 * Unlike kafkajs, auto-commit is set in the consumer config, `kafka.consumer({ kafkaJS: { groupId,
 * autoCommit: false } })` (or the librdkafka property `'enable.auto.commit'`), not in `run()`.
 *
 * The package is not installed: its install script builds a native addon (node-pre-gyp downloads a
 * prebuilt binary from outside the npm registry, then falls back to compiling librdkafka), which
 * cannot run here. "typed" mode runs inside the repository with the import unresolved.
 */
import { ruleTester } from '../helpers/rule-tester';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';

const REQUIRE = `const { Kafka } = require('@confluentinc/kafka-javascript').KafkaJS;

const kafka = new Kafka({ kafkaJS: { clientId: 'billing', brokers: ['kafka-1:9092'] } });
`;

const IMPORT = `import { KafkaJS } from '@confluentinc/kafka-javascript';

const kafka = new KafkaJS.Kafka({ kafkaJS: { clientId: 'billing', brokers: ['kafka-1:9092'] } });
`;

const cases: RecognitionCase[] = [
  {
    name: "require('…').KafkaJS, eachMessage, auto-commit by default",
    files: {
      'consumer.ts': `${REQUIRE}
const consumer = kafka.consumer({ kafkaJS: { groupId: 'billing-orders', fromBeginning: false } });

export async function start() {
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders.placed'] });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }: any) => {
      console.log(topic, partition, message.offset);
    },
  });
}
`,
    },
    expect: [
      {
        library: 'confluent-kafka',
        form: 'eachMessage',
        ackMode: 'implicit-after-return',
        source: 'orders.placed',
        identityExpression: '`${topic}:${partition}:${message.offset}`',
        handlerAt: { text: 'eachMessage: async ({ topic, partition, message }: any) =>' },
        ackModeAt: null,
      },
    ],
  },
  {
    name: 'import { KafkaJS }; kafkaJS: { autoCommit: false } in the consumer config makes eachMessage explicit',
    files: {
      'consumer.ts': `${IMPORT}
const consumer = kafka.consumer({
  kafkaJS: {
    groupId: 'billing-payments',
    autoCommit: false,
  },
});

export async function start(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async (payload: KafkaJS.EachMessagePayload) => {
      console.log(payload.message.offset);
      await consumer.commitOffsets([{ topic: payload.topic, partition: payload.partition, offset: String(Number(payload.message.offset) + 1) }]);
    },
  });
}
`,
    },
    expect: [
      {
        library: 'confluent-kafka',
        form: 'eachMessage',
        ackMode: 'explicit',
        source: 'payments.captured',
        identityExpression: '`${payload.topic}:${payload.partition}:${payload.message.offset}`',
        ackModeAt: 'autoCommit: false,',
      },
    ],
  },
  {
    name: "librdkafka-style 'enable.auto.commit': false; consumer config from a const",
    files: {
      'consumer.ts': `${IMPORT}
const consumerConfig = { 'group.id': 'billing-refunds', 'enable.auto.commit': false };
const consumer = kafka.consumer(consumerConfig);

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'refunds.requested' });
  await consumer.run({ eachMessage: async ({ message }) => console.log(message.offset) });
}
`,
    },
    expect: [
      {
        library: 'confluent-kafka',
        form: 'eachMessage',
        ackMode: 'explicit',
        source: 'refunds.requested',
        ackModeAt: "const consumerConfig = { 'group.id': 'billing-refunds', 'enable.auto.commit': false };",
      },
    ],
  },
  {
    name: 'eachBatch, implicit by default; eachBatchAutoResolve: false in run() is explicit',
    files: {
      'consumer.ts': `${IMPORT}
const auto = kafka.consumer({ kafkaJS: { groupId: 'ledger-auto' } });
const manual = kafka.consumer({ kafkaJS: { groupId: 'ledger-manual' } });

export async function start(): Promise<void> {
  await auto.subscribe({ topic: 'ledger.entries' });
  await auto.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
  await manual.subscribe({ topic: 'ledger.corrections' });
  await manual.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const message of batch.messages) resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
    },
  });
}
`,
    },
    expect: [
      {
        library: 'confluent-kafka',
        form: 'eachBatch',
        ackMode: 'implicit-after-return',
        source: 'ledger.entries',
        identityExpression: null,
      },
      {
        library: 'confluent-kafka',
        form: 'eachBatch',
        ackMode: 'explicit',
        source: 'ledger.corrections',
        ackModeAt: 'eachBatchAutoResolve: false,',
      },
    ],
  },
  {
    name: 'consumer as a class field, autoCommit: false in the field initializer; handler method bound with .bind(this)',
    files: {
      'consumer.ts': `${IMPORT}
export class InvoiceConsumer {
  private readonly consumer = kafka.consumer({ kafkaJS: { groupId: 'invoices', autoCommit: false } });

  async start(): Promise<void> {
    await this.consumer.subscribe({ topic: 'invoices.issued' });
    await this.consumer.run({ eachMessage: this.handle.bind(this) });
  }

  async handle({ message }: KafkaJS.EachMessagePayload): Promise<void> {
    console.log('invoice', message.offset);
  }
}
`,
    },
    expect: [
      {
        library: 'confluent-kafka',
        form: 'eachMessage',
        ackMode: 'explicit',
        source: 'invoices.issued',
        handlerName: 'InvoiceConsumer.handle',
        handlerAt: { text: 'async handle({ message }' },
      },
    ],
  },
  {
    name: 'consumer made in another module (no import in the registering file): still confluent, not kafkajs',
    files: {
      'kafka.ts': `const { Kafka } = require('@confluentinc/kafka-javascript').KafkaJS;

export const consumer = new Kafka({ kafkaJS: { brokers: ['kafka:9092'] } }).consumer({ kafkaJS: { groupId: 'search', autoCommit: false } });
`,
      'consumer.ts': `import { consumer } from './kafka';

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'products.updated' });
  await consumer.run({
    eachMessage: async ({ message }: { message: { offset: string } }) => {
      console.log(message.offset);
    },
  });
}
`,
    },
    expect: [{ library: 'confluent-kafka', form: 'eachMessage', ackMode: 'explicit', source: 'products.updated' }],
  },
  {
    name: 'a kafkajs consumer next to it stays kafkajs',
    files: {
      'consumer.ts': `import { Kafka } from 'kafkajs';

const consumer = new Kafka({ clientId: 'legacy', brokers: ['kafka:9092'] }).consumer({ groupId: 'legacy' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'legacy.events' });
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => console.log(message.offset) });
}
`,
    },
    expect: [{ library: 'kafkajs', form: 'eachMessage', ackMode: 'explicit', source: 'legacy.events' }],
  },
];

recognitionTests('confluent-kafka', cases);

// ---- rules on confluent-kafka consumers ------------------------------------------------------

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'confluent-kafka: manual commit after the insert',
      code: `${IMPORT}import { Pool } from 'pg';

const pool = new Pool();
const consumer = kafka.consumer({ kafkaJS: { groupId: 'billing', autoCommit: false } });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { orderId: string; totalCents: number };
      await pool.query('INSERT INTO invoices (order_id, total_cents) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING', [order.orderId, order.totalCents]);
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
}
`,
    },
    {
      name: 'confluent-kafka: auto-commit, every step awaited',
      code: `${REQUIRE}import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });
const consumer = kafka.consumer({ kafkaJS: { groupId: 'receipts' } });

export async function start() {
  await consumer.subscribe({ topic: 'receipts.requested' });
  await consumer.run({
    eachMessage: async ({ message }: any) => {
      const receipt = JSON.parse(message.value.toString());
      await transporter.sendMail({ to: receipt.email, subject: 'Receipt', text: 'Thanks' });
    },
  });
}
`,
    },
  ],
  invalid: [
    {
      name: 'confluent-kafka: autoCommit: false in the consumer config, commit before the insert',
      code: `${IMPORT}import { Pool } from 'pg';

const pool = new Pool();
const consumer = kafka.consumer({ kafkaJS: { groupId: 'billing', autoCommit: false } });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      const order = JSON.parse(message.value!.toString()) as { orderId: string; totalCents: number };
      await pool.query('INSERT INTO invoices (order_id, total_cents) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING', [order.orderId, order.totalCents]);
    },
  });
}
`,
      errors: [
        {
          line: 13,
          messageId: 'ackBeforeProcessing',
          data: ["confluent-kafka consumer of topic 'orders.placed'", 'commitOffsets()'],
          related: 2,
        },
      ],
    },
    {
      name: 'confluent-kafka: auto-commit, email left running when eachMessage resolves',
      code: `${REQUIRE}import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });
const consumer = kafka.consumer({ kafkaJS: { groupId: 'receipts' } });

export async function start() {
  await consumer.subscribe({ topic: 'receipts.requested' });
  await consumer.run({
    eachMessage: async ({ message }: any) => {
      const receipt = JSON.parse(message.value.toString());
      transporter.sendMail({ to: receipt.email, subject: 'Receipt', text: 'Thanks' });
    },
  });
}
`,
      errors: [{ line: 14, messageId: 'unawaitedAtReturn' }],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'confluent-kafka: Redis claim on topic/partition/offset, released on failure',
      code: `${IMPORT}import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = kafka.consumer({ kafkaJS: { groupId: 'ledger' } });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = \`processed:\${topic}:\${partition}:\${message.offset}\`;
      const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');
      if (!claimed) return;
      try {
        const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number };
        await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
      } catch (error) {
        await redis.del(key);
        throw error;
      }
      await redis.set(key, 'done', 'EX', 7 * 24 * 3600);
    },
  });
}
`,
    },
    {
      name: 'confluent-kafka: Stripe refund with an idempotencyKey from the payload',
      code: `${REQUIRE}import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');
const consumer = kafka.consumer({ kafkaJS: { groupId: 'refunds' } });

export async function start() {
  await consumer.subscribe({ topic: 'refunds.requested' });
  await consumer.run({
    eachMessage: async ({ message }: any) => {
      const refund = JSON.parse(message.value.toString()) as { refundId: string; chargeId: string };
      await stripe.refunds.create({ charge: refund.chargeId }, { idempotencyKey: \`refund-\${refund.refundId}\` });
    },
  });
}
`,
    },
  ],
  invalid: [
    {
      name: 'confluent-kafka: Stripe charge with no check',
      code: `${IMPORT}import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');
const consumer = kafka.consumer({ kafkaJS: { groupId: 'charges' } });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { customerId: string; totalCents: number };
      await stripe.charges.create({ customer: order.customerId, amount: order.totalCents, currency: 'eur' });
    },
  });
}
`,
      errors: [
        {
          line: 12,
          messageId: 'noIdentityCheck',
          data: ["confluent-kafka consumer of topic 'orders.placed'", 'makes Kafka deliver it again', 'message.offset'],
          related: 2,
        },
      ],
    },
    {
      name: 'confluent-kafka: a claim on message.key (a partition key) does not count',
      code: `${IMPORT}import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = kafka.consumer({ kafkaJS: { groupId: 'loyalty' } });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'loyalty.points' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const claimed = await redis.set(\`loyalty:\${message.key}\`, '1', 'EX', 300, 'NX');
      if (!claimed) return;
      const award = JSON.parse(message.value!.toString()) as { customerId: string; points: number };
      await pool.query('UPDATE loyalty SET points = points + $1 WHERE customer_id = $2', [award.points, award.customerId]);
    },
  });
}
`,
      errors: [{ line: 14, messageId: 'invalidIdentityCheck', data: 'partition key' }],
    },
  ],
});
