/**
 * non-idempotent-handler (docs/rules/non-idempotent-handler.md): the handler has a valid identity guard, but a
 * duplicate-unsafe effect escapes it (it runs before the check, or on a path around it).
 * When there is no valid guard this rule stays quiet: missing-event-id-check owns that case.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, ConsumerReport } from '../../server/src/model';
import { type ExpectedFinding, type InvalidRuleTestCase, type RuleTestCase, ruleTester } from '../helpers/rule-tester';
import { MODES, TestProject, configWith, findingsOf } from '../helpers/project';
import { lineOf } from '../helpers/lines';
import type { ResolvedConfig } from '../../server/src/config/resolved-config';

const RULE = 'non-idempotent-handler';

/** An expected finding, located by a text on its line of consumer.ts (findings go in the handler). */
type Escape = Omit<ExpectedFinding, 'line' | 'file'> & { at: string };

/** An invalid case whose expected findings are located by a text on their line. */
function invalid(c: Omit<InvalidRuleTestCase, 'errors'> & { escapes: Escape[] }): InvalidRuleTestCase {
  const { escapes, ...rest } = c;
  return { ...rest, errors: escapes.map(({ at, ...expected }) => ({ ...expected, line: lineOf(c.code, at) })) };
}

// ---- fixtures shared by several cases -----------------------------------------------------

const KAFKA_HEAD = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';

const kafka = new Kafka({ clientId: 'billing', brokers: ['kafka-1:9092'] });
const consumer = kafka.consumer({ groupId: 'billing-service' });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379');
const pool = new Pool();
`;

const AMQP_HEAD = `import amqp from 'amqplib';
import Redis from 'ioredis';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';

const redis = new Redis();
const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal', port: 587 });
`;

const SQS_HEAD = `import { Consumer } from 'sqs-consumer';
import { SQSClient } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import Redis from 'ioredis';
import { Pool } from 'pg';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');
const redis = new Redis();
const pool = new Pool();
`;

const SQS_QUEUE = `https://sqs.eu-west-1.amazonaws.com/123456789012/payments-queue`;

/**
 * A check by the request ID inside an `if` on a value of the message: on the key itself, the
 * messages without it have nothing to be checked by; on another value, the others go around it.
 */
const REQUEST_ID_CHECK = (tested: string): string => `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'forms.submitted' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString());
      if (${tested}) {
        const { rows } = await pool.query('SELECT 1 FROM scored_requests WHERE request_id = $1', [event.requestId]);
        if (rows.length > 0) return;
      }
      await pool.query('INSERT INTO lead_scores (form_id, score) VALUES ($1, $2)', [event.formId, event.score]);
      await pool.query('INSERT INTO scored_requests (request_id) VALUES ($1)', [event.requestId]);
    },
  });
}
`;

// ---- valid ----------------------------------------------------------------------------------

/**
 * A Service Bus handler whose catch re-queues the message through a wrapper (`Outbox.enqueue`,
 * whose `body` parameter receives the caller's object) with the given `attempt` property.
 */
const SERVICE_BUS_REQUEUE = (
  attempt: string,
): string => `import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusSender } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const client = new ServiceBusClient(process.env.SB ?? '');
const receiver = client.createReceiver('invoices');

class Outbox {
  constructor(private readonly sender: ServiceBusSender) {}

  async enqueue(body: Record<string, unknown>, delaySeconds: number): Promise<void> {
    const scheduledEnqueueTimeUtc = new Date(Date.now() + delaySeconds * 1000);
    await this.sender.sendMessages({ body, scheduledEnqueueTimeUtc });
  }
}

const outbox = new Outbox(client.createSender(process.env.INVOICE_QUEUE ?? 'invoices'));

receiver.subscribe(
  {
    processMessage: async (message: ServiceBusReceivedMessage) => {
      const attempt = Number(message.body.attempt ?? 0);
      try {
        const seen = await pool.query('SELECT 1 FROM processed_messages WHERE id = $1', [message.messageId]);
        if (seen.rowCount) {
          await receiver.completeMessage(message);
          return;
        }
        await pool.query('INSERT INTO invoices (customer, total) VALUES ($1, $2)', [message.body.customer, message.body.total]);
        await pool.query('INSERT INTO processed_messages (id) VALUES ($1)', [message.messageId]);
      } catch (err) {
        if (attempt < 5) {
          const next = attempt + 1;
          await outbox.enqueue({ ...message.body, ${attempt} }, 30);
          await receiver.completeMessage(message);
          return;
        }
        throw err;
      }
      await receiver.completeMessage(message);
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`;

const valid: RuleTestCase[] = [
  {
    // docs/model.md, "Failure routing and handing failures on": a publish that counts one more
    // attempt re-queues the message for another try; it is failure routing, not a duplicate downstream.
    name: 'Service Bus: the catch re-publishes the message with its attempt count plus one (a retry, failure routing)',
    code: SERVICE_BUS_REQUEUE('attempt: next'),
  },
  {
    name: 'kafkajs: every unsafe effect runs after a Redis SET NX claim on topic/partition/offset',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString());
      const claimed = await redis.set(\`processed:\${topic}:\${partition}:\${message.offset}\`, 'pending', 'EX', 300, 'NX');
      if (!claimed) return;
      try {
        await pool.query('INSERT INTO invoices (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
        await pool.query('UPDATE customers SET lifetime_value = lifetime_value + $1 WHERE id = $2', [order.total, order.customerId]);
        await redis.set(\`processed:\${topic}:\${partition}:\${message.offset}\`, 'done', 'EX', 86400);
      } catch (error) {
        await redis.del(\`processed:\${topic}:\${partition}:\${message.offset}\`);
        throw error;
      }
    },
  });
}
`,
  },
  {
    name: 'amqplib: check-then-record on messageId in Redis guards the email and the insert, ack at the end',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const id = msg.properties.messageId;
    if (await redis.exists(\`seen:\${id}\`)) {
      channel.ack(msg);
      return;
    }
    const user = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO welcome_log (user_id) VALUES ($1)', [user.id]);
    await mailer.sendMail({ to: user.email, subject: 'Welcome!', text: 'Thanks for signing up.' });
    await redis.set(\`seen:\${id}\`, '1');
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'sqs-consumer: inbox insert ON CONFLICT DO NOTHING with row count checked, effects in the same transaction',
    code: `${SQS_HEAD}
export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  sqs: new SQSClient({ region: 'eu-west-1' }),
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}');
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query('INSERT INTO processed_messages (message_id) VALUES ($1) ON CONFLICT DO NOTHING', [message.MessageId]);
      if (rowCount === 0) {
        await client.query('ROLLBACK');
        return message;
      }
      await client.query('INSERT INTO ledger_entries (account_id, amount) VALUES ($1, $2)', [payment.accountId, payment.amount]);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    return message;
  },
});
`,
  },
  {
    name: 'sqs-consumer: Stripe charge before the guard carries an idempotencyKey from the MessageId',
    code: `${SQS_HEAD}
export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}');
    await stripe.paymentIntents.create(
      { amount: payment.amount, currency: 'eur', customer: payment.customerId },
      { idempotencyKey: \`charge-\${message.MessageId}\` },
    );
    const fresh = await redis.set(\`receipt:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
    if (!fresh) return message;
    await pool.query('INSERT INTO receipts (payment_id, amount) VALUES ($1, $2)', [payment.id, payment.amount]);
    return message;
  },
});
`,
  },
  {
    name: 'kafkajs: conflict-ignoring insert and absolute writes before the guard are idempotent',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'inventory.adjusted' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const change = JSON.parse(message.value!.toString());
      await pool.query('INSERT INTO skus (sku, name) VALUES ($1, $2) ON CONFLICT (sku) DO NOTHING', [change.sku, change.name]);
      await pool.query('UPDATE skus SET last_seen_at = $1 WHERE sku = $2', [change.at, change.sku]);
      await redis.hset(\`sku:\${change.sku}\`, 'name', change.name);
      await pool.query('DELETE FROM sku_reservations WHERE sku = $1', [change.sku]);
      const claimed = await redis.set(\`inv:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 600, 'NX');
      if (!claimed) return;
      await pool.query('UPDATE stock SET quantity = quantity + $1 WHERE sku = $2', [change.delta, change.sku]);
    },
  });
}
`,
  },
  {
    name: 'amqplib: reads and logging before the guard are not processing effects',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('refunds', async (msg) => {
    if (!msg) return;
    const refund = JSON.parse(msg.content.toString());
    console.info('refund received', refund.id);
    const { rows } = await pool.query('SELECT status FROM orders WHERE id = $1', [refund.orderId]);
    const profile = await fetch(\`https://crm.internal/customers/\${refund.customerId}\`);
    console.debug(rows.length, profile.status);
    const first = await redis.set(\`refund:\${msg.properties.messageId}\`, '1', 'EX', 900, 'NX');
    if (!first) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO refunds (order_id, amount) VALUES ($1, $2)', [refund.orderId, refund.amount]);
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'kafkajs: get-or-create on the user email is an entity check, not the handler guard (no identity guard: not this rule)',
    code: `import { Kafka } from 'kafkajs';
import { PrismaClient } from '@prisma/client';
import nodemailer from 'nodemailer';

const prisma = new PrismaClient();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });
const consumer = new Kafka({ clientId: 'accounts', brokers: ['kafka:9092'] }).consumer({ groupId: 'accounts' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'users.signed-up' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const evt = JSON.parse(message.value!.toString());
      await mailer.sendMail({ to: 'ops@example.com', subject: 'new signup', text: evt.email });
      const u = await prisma.user.findUnique({ where: { email: evt.email } });
      if (!u) await prisma.user.create({ data: { email: evt.email, name: evt.name } });
      await mailer.sendMail({ to: evt.email, subject: 'Welcome', text: 'Hello!' });
    },
  });
}
`,
  },
  {
    name: 'amqplib: no guard at all is missing-event-id-check, never this rule',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('invoices', async (msg) => {
    if (!msg) return;
    const invoice = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO invoices (number, total) VALUES ($1, $2)', [invoice.number, invoice.total]);
    await mailer.sendMail({ to: invoice.email, subject: 'Your invoice', text: invoice.number });
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'sqs-consumer: a guard keyed by randomUUID() guards nothing (missing-event-id-check, not this rule)',
    code: `${SQS_HEAD}
import { randomUUID } from 'node:crypto';

export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}');
    await pool.query('INSERT INTO payment_attempts (payment_id) VALUES ($1)', [payment.id]);
    const requestId = randomUUID();
    const claimed = await redis.set(\`req:\${requestId}\`, '1', 'EX', 60, 'NX');
    if (!claimed) return message;
    await stripe.charges.create({ amount: payment.amount, currency: 'usd', source: payment.token });
    return message;
  },
});
`,
  },
  {
    name: 'kafkajs: an in-memory Set is no guard (lost on restart), so this rule stays quiet',
    code: `${KAFKA_HEAD}
const handled = new Set<string>();

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      await pool.query('INSERT INTO order_events (raw) VALUES ($1)', [message.value!.toString()]);
      const key = \`\${partition}:\${message.offset}\`;
      if (handled.has(key)) return;
      handled.add(key);
      await pool.query('INSERT INTO shipments (order_key) VALUES ($1)', [key]);
    },
  });
}
`,
  },
  {
    name: 'amqplib: an insert after an early ack belongs to ack-before-process, not to the dedup rules',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('audit', async (msg) => {
    if (!msg) return;
    channel.ack(msg);
    await pool.query('INSERT INTO audit_trail (payload) VALUES ($1)', [msg.content.toString()]);
    const first = await redis.set(\`audit:\${msg.properties.messageId}\`, '1', 'EX', 600, 'NX');
    if (!first) return;
    await pool.query('INSERT INTO audit_index (message_id) VALUES ($1)', [msg.properties.messageId]);
  });
}
`,
  },
  {
    name: 'kafkajs: an un-awaited publish before the guard finishes after the commit (ack-before-process owns it)',
    code: `${KAFKA_HEAD}
const producer = kafka.producer();

export async function start(): Promise<void> {
  await producer.connect();
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      void producer.send({ topic: 'orders.seen', messages: [{ value: message.value }] });
      const claimed = await redis.set(\`o:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 600, 'NX');
      if (!claimed) return;
      await pool.query('INSERT INTO fulfilments (order_offset) VALUES ($1)', [message.offset]);
    },
  });
}
`,
  },
  {
    name: 'sqs-consumer: handler vouched with @idempotent is not reported',
    code: `${SQS_HEAD}
/** @idempotent the ledger has a unique (payment_id) constraint and the insert fails on a duplicate */
async function settlePayment(message: { MessageId?: string; Body?: string }) {
  const payment = JSON.parse(message.Body ?? '{}');
  await pool.query('INSERT INTO ledger (payment_id, amount) VALUES ($1, $2)', [payment.id, payment.amount]);
  const fresh = await redis.set(\`ledger:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
  if (!fresh) return message;
  await stripe.transfers.create({ amount: payment.amount, currency: 'eur', destination: payment.account });
  return message;
}

export const ledger = Consumer.create({ queueUrl: '${SQS_QUEUE}', handleMessage: settlePayment });
`,
  },
  {
    name: 'kafkajs: handler declared @delivery at-most-once is not reported',
    code: `${KAFKA_HEAD}
/**
 * Metrics only: a lost sample is fine.
 * @delivery at-most-once
 */
const recordMetric = async ({ topic, partition, message }: { topic: string; partition: number; message: { offset: string; value: Buffer | null } }) => {
  await redis.incr('metrics:events');
  const claimed = await redis.set(\`m:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 60, 'NX');
  if (!claimed) return;
  await redis.incrby('metrics:bytes', message.value?.length ?? 0);
};

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'metrics.raw' });
  await consumer.run({ eachMessage: recordMetric });
}
`,
  },
  {
    name: 'amqplib: noAck consumer is at-most-once (at-most-once-consumer owns it)',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume(
    'clicks',
    async (msg) => {
      if (!msg) return;
      await pool.query('INSERT INTO clicks_raw (payload) VALUES ($1)', [msg.content.toString()]);
      if (await redis.exists(\`click:\${msg.properties.messageId}\`)) return;
      await redis.set(\`click:\${msg.properties.messageId}\`, '1');
      await pool.query('INSERT INTO clicks (message_id) VALUES ($1)', [msg.properties.messageId]);
    },
    { noAck: true },
  );
}
`,
  },
  {
    name: 'kafkajs: Prisma create keyed by the event id before the guard is idempotent (a duplicate fails)',
    code: `import { Kafka } from 'kafkajs';
import { PrismaClient } from '@prisma/client';
import Redis from 'ioredis';

const prisma = new PrismaClient();
const redis = new Redis();
const consumer = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] }).consumer({ groupId: 'orders' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const evt = JSON.parse(message.value!.toString());
      await prisma.order.create({ data: { id: evt.orderId, total: evt.total } });
      const claimed = await redis.set(\`order-mail:\${evt.orderId}\`, '1', 'EX', 600, 'NX');
      if (!claimed) return;
      await prisma.orderLine.createMany({ data: evt.lines });
    },
  });
}
`,
  },
  {
    name: 'sqs-consumer: BullMQ add with jobId and SQS send with MessageDeduplicationId before the guard are deduplicated',
    code: `${SQS_HEAD}
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Queue } from 'bullmq';

const sqs = new SQSClient({ region: 'eu-west-1' });
const emailQueue = new Queue('emails');

export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}');
    await emailQueue.add('receipt', { paymentId: payment.id }, { jobId: \`receipt-\${message.MessageId}\` });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ledger.fifo',
        MessageBody: JSON.stringify(payment),
        MessageGroupId: payment.accountId,
        MessageDeduplicationId: message.MessageId,
      }),
    );
    const fresh = await redis.set(\`pay:\${message.MessageId}\`, '1', 'EX', 600, 'NX');
    if (!fresh) return message;
    await pool.query('INSERT INTO payouts (payment_id) VALUES ($1)', [payment.id]);
    return message;
  },
});
`,
  },
  {
    name: 'amqplib: guard in a helper of another file (isProcessed) with every effect after it',
    files: {
      'dedup.ts': `import Redis from 'ioredis';

const redis = new Redis();

export async function isProcessed(messageId: string): Promise<boolean> {
  return (await redis.exists(\`processed:\${messageId}\`)) === 1;
}

export async function markProcessed(messageId: string): Promise<void> {
  await redis.set(\`processed:\${messageId}\`, '1', 'EX', 7 * 24 * 3600);
}
`,
    },
    code: `${AMQP_HEAD}
import { isProcessed, markProcessed } from './dedup';

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    if (await isProcessed(msg.properties.messageId)) {
      channel.ack(msg);
      return;
    }
    const order = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO orders (id, total) VALUES ($1, $2)', [order.id, order.total]);
    await mailer.sendMail({ to: order.email, subject: 'Order confirmed', text: order.id });
    await markProcessed(msg.properties.messageId);
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'kafkajs: every branch of a dispatch switch runs after one guard at the top',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topics: ['accounts.events'] });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const event = JSON.parse(message.value!.toString());
      const claimed = await redis.set(\`acc:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 3600, 'NX');
      if (!claimed) return;
      switch (event.type) {
        case 'deposit':
          await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [event.amount, event.accountId]);
          break;
        case 'withdrawal':
          await pool.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [event.amount, event.accountId]);
          break;
        default:
          await pool.query('INSERT INTO unknown_events (payload) VALUES ($1)', [message.value!.toString()]);
      }
    },
  });
}
`,
  },
  {
    name: 'amqplib: the seen path only does idempotent work (expire the marker, ack)',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('payouts', async (msg) => {
    if (!msg) return;
    const key = \`payout:\${msg.properties.messageId}\`;
    const first = await redis.set(key, 'pending', 'EX', 120, 'NX');
    if (!first) {
      await redis.expire(key, 120);
      channel.ack(msg);
      return;
    }
    const payout = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO payouts (account_id, amount) VALUES ($1, $2)', [payout.accountId, payout.amount]);
    await redis.set(key, 'done', 'EX', 86400);
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'kafkajs: a guard function named in the config wraps all the processing',
    config: { guards: [{ name: 'onceper', returns: 'wrapper', keyArgument: 0 }] },
    files: {
      'once.ts': `import Redis from 'ioredis';

const redis = new Redis();

export async function onceper(key: string, work: () => Promise<void>): Promise<void> {
  const first = await redis.set(\`once:\${key}\`, '1', 'EX', 86400, 'NX');
  if (first) await work();
}
`,
    },
    code: `${KAFKA_HEAD}
import { onceper } from './once';

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'loyalty.points' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const evt = JSON.parse(message.value!.toString());
      await onceper(\`\${topic}:\${partition}:\${message.offset}\`, async () => {
        await pool.query('UPDATE members SET points = points + $1 WHERE id = $2', [evt.points, evt.memberId]);
      });
    },
  });
}
`,
  },
  {
    name: 'sqs-consumer: handleMessageBatch with a per-message claim before every effect',
    code: `${SQS_HEAD}
export const batch = new Consumer({
  queueUrl: '${SQS_QUEUE}',
  handleMessageBatch: async (messages) => {
    for (const message of messages) {
      const fresh = await redis.set(\`batch:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
      if (!fresh) continue;
      const payment = JSON.parse(message.Body ?? '{}');
      await pool.query('INSERT INTO settlements (payment_id, amount) VALUES ($1, $2)', [payment.id, payment.amount]);
    }
    return messages;
  },
});
`,
  },
  {
    name: 'amqplib: a unique-violation claim (insert in try, return in catch) before every effect',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('shipments', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO processed_messages (message_id) VALUES ($1)', [msg.properties.messageId]);
    } catch {
      channel.ack(msg);
      return;
    }
    const shipment = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO shipments (order_id, carrier) VALUES ($1, $2)', [shipment.orderId, shipment.carrier]);
    await mailer.sendMail({ to: shipment.email, subject: 'Shipped', text: shipment.trackingCode });
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'sqs-consumer: a SELECT on processed_messages guards, with a get-or-create inside the guarded processing',
    code: `import { Consumer } from 'sqs-consumer';
import { PrismaClient } from '@prisma/client';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';

const prisma = new PrismaClient();
const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });

export const signups = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/signups',
  handleMessage: async (message) => {
    const { rows } = await pool.query('SELECT 1 FROM processed_messages WHERE message_id = $1', [message.MessageId]);
    if (rows.length > 0) return message;
    const evt = JSON.parse(message.Body ?? '{}');
    const user = await prisma.user.findUnique({ where: { email: evt.email } });
    if (!user) await prisma.user.create({ data: { email: evt.email, name: evt.name } });
    await mailer.sendMail({ to: evt.email, subject: 'Welcome', text: 'Hello!' });
    await pool.query('INSERT INTO processed_messages (message_id) VALUES ($1)', [message.MessageId]);
    return message;
  },
});
`,
  },
  {
    name: 'amqplib: with "identity": "message-id", a guard on a payload field is no identity guard (not this rule)',
    config: { identity: 'message-id' },
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO order_log (order_number) VALUES ($1)', [order.number]);
    const first = await redis.set(\`order:\${order.number}\`, '1', 'EX', 600, 'NX');
    if (!first) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO orders (number, total) VALUES ($1, $2)', [order.number, order.total]);
    channel.ack(msg);
  });
}
`,
  },
  {
    // A message without a request ID has nothing to be checked by: its side is not a path around the check.
    name: 'kafkajs: the check runs when the message carries its request ID; the inserts after it are not a bypass',
    code: REQUEST_ID_CHECK('event.requestId'),
  },
  {
    // The response found by the request ID, then its score: "new" when either is missing.
    name: 'kafkajs: a check in two steps (the row found by the message key, then the row that records it) guards the inserts after it',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'forms.answered' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString());
      const response = (await pool.query('SELECT id FROM form_responses WHERE request_id = $1', [event.requestId])).rows[0];
      if (response) {
        const scored = (await pool.query('SELECT id FROM lead_scores WHERE response_id = $1', [response.id])).rows[0];
        if (scored) return;
      }
      await pool.query('INSERT INTO form_responses (request_id, answers) VALUES ($1, $2)', [event.requestId, event.answers]);
      await pool.query('INSERT INTO lead_scores (request_id, score) VALUES ($1, $2)', [event.requestId, event.score]);
    },
  });
}
`,
  },
];

/** Valid cases that have, on purpose, no valid identity guard (the rule must then stay quiet). */
const WITHOUT_VALID_GUARD = new Set([
  'kafkajs: get-or-create on the user email is an entity check, not the handler guard (no identity guard: not this rule)',
  'amqplib: no guard at all is missing-event-id-check, never this rule',
  'sqs-consumer: a guard keyed by randomUUID() guards nothing (missing-event-id-check, not this rule)',
  'kafkajs: an in-memory Set is no guard (lost on restart), so this rule stays quiet',
  'amqplib: with "identity": "message-id", a guard on a payload field is no identity guard (not this rule)',
]);
for (const name of WITHOUT_VALID_GUARD)
  assert.ok(
    valid.some((c) => c.name === name),
    `unknown case ${name}`,
  );

// ---- invalid --------------------------------------------------------------------------------

const invalidCases: InvalidRuleTestCase[] = [
  invalid({
    // The same count is not one more attempt: the re-publish is a second copy downstream.
    name: 'Service Bus: the catch re-publishes the message with the attempt count it came with',
    code: SERVICE_BUS_REQUEUE('attempt'),
    escapes: [{ at: 'await outbox.enqueue', messageId: 'effectBypassesCheck', data: 'Service Bus sendMessages' }],
  }),
  invalid({
    // The test is of another value than the check's key: its other side is a path around the check.
    name: 'kafkajs: a check by the request ID that runs only for messages with a tenant goes around the inserts of the others',
    code: REQUEST_ID_CHECK('event.tenantId'),
    escapes: [
      { at: 'INSERT INTO lead_scores', messageId: 'effectBypassesCheck', data: 'INSERT INTO lead_scores' },
      { at: 'INSERT INTO scored_requests', messageId: 'effectBypassesCheck', data: 'INSERT INTO scored_requests' },
    ],
  }),
  invalid({
    name: 'kafkajs: an audit insert runs before the SET NX claim',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString());
      await pool.query('INSERT INTO audit_log (order_id, note) VALUES ($1, $2)', [order.id, 'received']);
      const claimed = await redis.set(\`processed:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 600, 'NX');
      if (!claimed) return;
      await pool.query('INSERT INTO invoices (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
    },
  });
}
`,
    escapes: [
      {
        at: 'INSERT INTO audit_log',
        messageId: 'effectBeforeCheck',
        data: ["kafkajs consumer of topic 'orders.placed'", 'INSERT INTO audit_log'],
        related: 2,
        severity: 'warning',
      },
    ],
  }),
  invalid({
    name: 'amqplib: the confirmation email is sent before the Redis exists check',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString());
    await mailer.sendMail({ to: order.email, subject: 'We got your order', text: order.id });
    if (await redis.exists(\`order:\${msg.properties.messageId}\`)) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO orders (id, total) VALUES ($1, $2)', [order.id, order.total]);
    await redis.set(\`order:\${msg.properties.messageId}\`, '1');
    channel.ack(msg);
  });
}
`,
    escapes: [
      {
        at: 'mailer.sendMail',
        messageId: 'effectBeforeCheck',
        data: ["amqplib consumer of queue 'orders'", 'sendMail'],
      },
    ],
  }),
  invalid({
    name: 'sqs-consumer: a Stripe charge without idempotencyKey runs before the claim',
    code: `${SQS_HEAD}
export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}');
    await stripe.charges.create({ amount: payment.amount, currency: 'usd', customer: payment.customerId });
    const fresh = await redis.set(\`pay:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
    if (!fresh) return message;
    await pool.query('INSERT INTO receipts (payment_id) VALUES ($1)', [payment.id]);
    return message;
  },
});
`,
    escapes: [
      {
        at: 'stripe.charges.create',
        messageId: 'effectBeforeCheck',
        data: ["sqs-consumer consumer of queue 'payments-queue'", 'Stripe charges.create'],
      },
    ],
  }),
  invalid({
    name: 'kafkajs: payment events are claimed, refund events are not',
    code: `${KAFKA_HEAD}
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'billing.commands' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const command = JSON.parse(message.value!.toString());
      if (command.type === 'charge') {
        const claimed = await redis.set(\`charge:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 3600, 'NX');
        if (!claimed) return;
        await stripe.paymentIntents.create({ amount: command.amount, currency: 'eur', customer: command.customerId });
      } else if (command.type === 'refund') {
        await stripe.refunds.create({ payment_intent: command.paymentIntentId });
      }
    },
  });
}
`,
    escapes: [{ at: 'stripe.refunds.create', messageId: 'effectBypassesCheck', data: 'Stripe refunds.create' }],
  }),
  invalid({
    // The state check runs only for delayed events: every other status goes on without it.
    name: 'BullMQ: a business-state check for one kind of event only (status === "DELAYED" in its condition)',
    code: `import { Worker } from 'bullmq';
import { PrismaClient } from '@prisma/client';

const db = new PrismaClient();

interface DeliveryEvent {
  messageId: string;
  status: 'DELIVERED' | 'BOUNCED' | 'DELAYED';
}

export const worker = new Worker<DeliveryEvent>('delivery-events', async (job) => {
  const event = job.data;
  const email = await db.email.findUnique({ where: { messageId: event.messageId } });
  if (!email) return;
  if (email.latestStatus === event.status && event.status === 'DELAYED') return;
  await db.emailEvent.create({ data: { emailId: email.id, status: event.status } });
  await db.email.update({ where: { id: email.id }, data: { latestStatus: event.status } });
});
`,
    escapes: [{ at: 'db.emailEvent.create', messageId: 'effectBypassesCheck', data: 'prisma.emailEvent.create' }],
  }),
  invalid({
    name: 'sqs-consumer: an insert in a helper of another file runs before the guard (finding on the handler call)',
    files: {
      'audit.ts': `import { Pool } from 'pg';

const pool = new Pool();

export async function writeAudit(kind: string, body: string): Promise<void> {
  await pool.query('INSERT INTO audit_events (kind, body) VALUES ($1, $2)', [kind, body]);
}
`,
    },
    code: `${SQS_HEAD}
import { writeAudit } from './audit';

export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    await writeAudit('payment.received', message.Body ?? '');
    const fresh = await redis.set(\`pay:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
    if (!fresh) return message;
    const payment = JSON.parse(message.Body ?? '{}');
    await stripe.charges.create({ amount: payment.amount, currency: 'usd', customer: payment.customerId }, { idempotencyKey: message.MessageId });
    return message;
  },
});
`,
    escapes: [
      {
        at: "await writeAudit('payment.received'",
        messageId: 'effectBeforeCheck',
        data: ['INSERT INTO audit_events', 'writeAudit()'],
        related: 3,
      },
    ],
  }),
  invalid({
    name: 'kafkajs: a helper called before the guard publishes downstream (chain through two functions)',
    files: {
      'notify.ts': `import { Kafka } from 'kafkajs';

const producer = new Kafka({ clientId: 'notify', brokers: ['kafka:9092'] }).producer();

async function publishStatus(orderId: string, status: string): Promise<void> {
  await producer.send({ topic: 'orders.status', messages: [{ key: orderId, value: JSON.stringify({ orderId, status }) }] });
}

export async function announce(order: { id: string }): Promise<void> {
  await publishStatus(order.id, 'processing');
}
`,
    },
    code: `${KAFKA_HEAD}
import { announce } from './notify';

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString());
      await announce(order);
      const claimed = await redis.set(\`ord:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 600, 'NX');
      if (!claimed) return;
      await pool.query('INSERT INTO fulfilments (order_id) VALUES ($1)', [order.id]);
    },
  });
}
`,
    escapes: [
      {
        at: 'await announce(order)',
        messageId: 'effectBeforeCheck',
        data: ['Kafka producer.send', 'announce()'],
        related: 3,
      },
    ],
  }),
  invalid({
    name: 'amqplib: two effects escape, each reported on its own call',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const user = JSON.parse(msg.content.toString());
    await redis.incr('signups:total');
    await pool.query('INSERT INTO signup_events (email) VALUES ($1)', [user.email]);
    const first = await redis.set(\`signup:\${msg.properties.messageId}\`, '1', 'EX', 600, 'NX');
    if (!first) {
      channel.ack(msg);
      return;
    }
    await mailer.sendMail({ to: user.email, subject: 'Welcome', text: 'Hi!' });
    channel.ack(msg);
  });
}
`,
    escapes: [
      { at: "redis.incr('signups:total')", messageId: 'effectBeforeCheck', data: 'redis incr' },
      { at: 'INSERT INTO signup_events', messageId: 'effectBeforeCheck', data: 'INSERT INTO signup_events' },
    ],
  }),
  invalid({
    name: 'sqs-consumer: an HTTP POST runs before the inbox claim',
    code: `${SQS_HEAD}
export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}');
    await fetch('https://ledger.internal/api/entries', { method: 'POST', body: JSON.stringify(payment), headers: { 'content-type': 'application/json' } });
    const { rowCount } = await pool.query('INSERT INTO processed_messages (message_id) VALUES ($1) ON CONFLICT DO NOTHING', [message.MessageId]);
    if (rowCount === 0) return message;
    await pool.query('INSERT INTO payouts (payment_id) VALUES ($1)', [payment.id]);
    return message;
  },
});
`,
    escapes: [{ at: "fetch('https://ledger.internal", messageId: 'effectBeforeCheck', data: 'HTTP POST' }],
  }),
  invalid({
    name: 'kafkajs: a Prisma create runs before the processedEvent lookup',
    code: `import { Kafka } from 'kafkajs';
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();
const consumer = new Kafka({ clientId: 'crm', brokers: ['kafka:9092'] }).consumer({ groupId: 'crm' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'crm.contacts' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const evt = JSON.parse(message.value!.toString());
      await prisma.activity.create({ data: { contactEmail: evt.email, kind: 'synced' } });
      const seen = await prisma.processedEvent.findUnique({ where: { eventId: evt.eventId } });
      if (seen) return;
      await prisma.contact.update({ where: { email: evt.email }, data: { visits: { increment: 1 } } });
      await prisma.processedEvent.create({ data: { eventId: evt.eventId } });
    },
  });
}
`,
    escapes: [{ at: 'prisma.activity.create', messageId: 'effectBeforeCheck', data: 'prisma.activity.create' }],
  }),
  invalid({
    name: 'amqplib: a channel.publish to another exchange runs before the guard',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    channel.publish('analytics', 'order.received', msg.content, { messageId: msg.properties.messageId });
    const first = await redis.set(\`o:\${msg.properties.messageId}\`, '1', 'EX', 600, 'NX');
    if (!first) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO orders (payload) VALUES ($1)', [msg.content.toString()]);
    channel.ack(msg);
  });
}
`,
    escapes: [{ at: "channel.publish('analytics'", messageId: 'effectBeforeCheck', data: 'amqplib publish' }],
  }),
  invalid({
    name: 'sqs-consumer: a Stripe idempotencyKey made fresh with randomUUID() dedups nothing',
    code: `${SQS_HEAD}
import { randomUUID } from 'node:crypto';

export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}');
    await stripe.refunds.create({ payment_intent: payment.intentId }, { idempotencyKey: randomUUID() });
    const fresh = await redis.set(\`ref:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
    if (!fresh) return message;
    await pool.query('UPDATE payments SET refunded = true WHERE id = $1', [payment.id]);
    return message;
  },
});
`,
    escapes: [{ at: 'stripe.refunds.create', messageId: 'effectBeforeCheck', data: 'Stripe refunds.create' }],
  }),
  invalid({
    name: 'kafkajs: a switch with one guarded case and one unguarded case',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'accounts.events' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const event = JSON.parse(message.value!.toString());
      switch (event.type) {
        case 'deposit': {
          const claimed = await redis.set(\`dep:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 3600, 'NX');
          if (!claimed) return;
          await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [event.amount, event.accountId]);
          break;
        }
        case 'fee':
          await pool.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [event.fee, event.accountId]);
          break;
      }
    },
  });
}
`,
    escapes: [{ at: 'balance - $1', messageId: 'effectBypassesCheck', data: 'UPDATE accounts (relative)' }],
  }),
  invalid({
    name: 'amqplib: a guard helper from another file, with an insert before it',
    files: {
      'dedup.ts': `import Redis from 'ioredis';

const redis = new Redis();

export async function alreadyHandled(messageId: string): Promise<boolean> {
  return (await redis.exists(\`handled:\${messageId}\`)) > 0;
}
`,
    },
    code: `${AMQP_HEAD}
import { alreadyHandled } from './dedup';

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('tickets', async (msg) => {
    if (!msg) return;
    const ticket = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO ticket_log (ticket_id) VALUES ($1)', [ticket.id]);
    if (await alreadyHandled(msg.properties.messageId)) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO tickets (id, title) VALUES ($1, $2)', [ticket.id, ticket.title]);
    await redis.set(\`handled:\${msg.properties.messageId}\`, '1');
    channel.ack(msg);
  });
}
`,
    escapes: [{ at: 'INSERT INTO ticket_log', messageId: 'effectBeforeCheck', data: 'INSERT INTO ticket_log' }],
  }),
  invalid({
    name: 'kafkajs: a guard function named in the config (returns seen), with a counter bumped before it',
    config: { guards: [{ name: 'wasProcessed', returns: 'seen', keyArgument: 0 }] },
    files: {
      'dedup.ts': `export async function wasProcessed(key: string): Promise<boolean> {
  const response = await fetch(\`https://dedup.internal/keys/\${encodeURIComponent(key)}\`);
  return response.status === 200;
}
`,
    },
    code: `${KAFKA_HEAD}
import { wasProcessed } from './dedup';

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'loyalty.points' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const evt = JSON.parse(message.value!.toString());
      await redis.hincrby(\`member:\${evt.memberId}\`, 'events', 1);
      if (await wasProcessed(\`\${topic}:\${partition}:\${message.offset}\`)) return;
      await pool.query('UPDATE members SET points = points + $1 WHERE id = $2', [evt.points, evt.memberId]);
    },
  });
}
`,
    escapes: [{ at: 'redis.hincrby', messageId: 'effectBeforeCheck', data: 'redis hincrby' }],
  }),
  invalid({
    name: 'amqplib: the seen path publishes a duplicate notice (an unsafe effect outside the guard)',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('transfers', async (msg) => {
    if (!msg) return;
    const key = \`transfer:\${msg.properties.messageId}\`;
    if (await redis.exists(key)) {
      await pool.query('INSERT INTO duplicate_deliveries (message_key) VALUES ($1)', [key]);
      channel.ack(msg);
      return;
    }
    const transfer = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO transfers (id, amount) VALUES ($1, $2)', [transfer.id, transfer.amount]);
    await redis.set(key, '1');
    channel.ack(msg);
  });
}
`,
    escapes: [
      {
        at: 'INSERT INTO duplicate_deliveries',
        messageId: 'effectBypassesCheck',
        data: 'INSERT INTO duplicate_deliveries',
      },
    ],
  }),
  invalid({
    name: 'sqs-consumer: handleMessageBatch inserts before each per-message claim',
    code: `${SQS_HEAD}
export const batch = new Consumer({
  queueUrl: '${SQS_QUEUE}',
  handleMessageBatch: async (messages) => {
    for (const message of messages) {
      await pool.query('INSERT INTO raw_payments (body) VALUES ($1)', [message.Body]);
      const fresh = await redis.set(\`batch:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
      if (!fresh) continue;
      const payment = JSON.parse(message.Body ?? '{}');
      await pool.query('INSERT INTO settlements (payment_id, amount) VALUES ($1, $2)', [payment.id, payment.amount]);
    }
    return messages;
  },
});
`,
    escapes: [{ at: 'INSERT INTO raw_payments', messageId: 'effectBeforeCheck', data: 'INSERT INTO raw_payments' }],
  }),
  invalid({
    name: 'kafkajs: eachBatch with autoResolve off appends to a file before the claim',
    code: `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { appendFile } from 'node:fs/promises';

const redis = new Redis();
const consumer = new Kafka({ clientId: 'archiver', brokers: ['kafka:9092'] }).consumer({ groupId: 'archiver' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'events.raw' });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        await appendFile('/var/log/archive.ndjson', \`\${message.value?.toString()}\\n\`);
        const first = await redis.set(\`arch:\${batch.topic}:\${batch.partition}:\${message.offset}\`, '1', 'EX', 3600, 'NX');
        if (first) {
          await redis.rpush('archive:index', message.offset);
        }
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}
`,
    escapes: [{ at: 'appendFile(', messageId: 'effectBeforeCheck', data: 'appendFile' }],
  }),
  invalid({
    name: 'kafkajs: guarded in the main branch, but the catch path re-publishes outside the guard',
    code: `${KAFKA_HEAD}
const producer = kafka.producer();

export async function start(): Promise<void> {
  await producer.connect();
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      let order;
      try {
        order = JSON.parse(message.value!.toString());
      } catch {
        await producer.send({ topic: 'orders.unparsed', messages: [{ value: message.value }] });
        return;
      }
      const claimed = await redis.set(\`ord:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 600, 'NX');
      if (!claimed) return;
      await pool.query('INSERT INTO fulfilments (order_id) VALUES ($1)', [order.id]);
    },
  });
}
`,
    escapes: [{ at: "topic: 'orders.unparsed'", messageId: 'effectBypassesCheck', data: 'Kafka producer.send' }],
  }),
  invalid({
    name: 'amqplib: an SMS is sent before the SELECT on processed_messages',
    code: `import amqp from 'amqplib';
import twilio from 'twilio';
import { Pool } from 'pg';

const pool = new Pool();
const sms = twilio(process.env.TWILIO_SID, process.env.TWILIO_TOKEN);

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('otp', async (msg) => {
    if (!msg) return;
    const request = JSON.parse(msg.content.toString());
    await sms.messages.create({ to: request.phone, from: '+15005550006', body: 'Your code is on its way' });
    const { rows } = await pool.query('SELECT 1 FROM processed_messages WHERE message_id = $1', [msg.properties.messageId]);
    if (rows.length > 0) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO otp_requests (phone) VALUES ($1)', [request.phone]);
    await pool.query('INSERT INTO processed_messages (message_id) VALUES ($1)', [msg.properties.messageId]);
    channel.ack(msg);
  });
}
`,
    escapes: [{ at: 'sms.messages.create', messageId: 'effectBeforeCheck', data: 'Twilio messages.create' }],
  }),
  invalid({
    name: 'kafkajs: an insert runs before a unique-violation claim',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.settled' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      await pool.query('INSERT INTO settlement_audit (raw) VALUES ($1)', [message.value!.toString()]);
      try {
        await pool.query('INSERT INTO processed_events (event_key) VALUES ($1)', [\`\${topic}:\${partition}:\${message.offset}\`]);
      } catch {
        return;
      }
      await pool.query('UPDATE merchants SET settled = settled + 1 WHERE id = $1', [message.key?.toString()]);
    },
  });
}
`,
    escapes: [
      { at: 'INSERT INTO settlement_audit', messageId: 'effectBeforeCheck', data: 'INSERT INTO settlement_audit' },
    ],
  }),
  invalid({
    name: 'sqs-consumer: effects awaited together in Promise.all before the guard are both reported',
    code: `${SQS_HEAD}
import nodemailer from 'nodemailer';

const mailer = nodemailer.createTransport({ host: 'smtp.internal' });

export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}');
    await Promise.all([
      mailer.sendMail({ to: payment.email, subject: 'Payment received', text: payment.id }),
      pool.query('INSERT INTO payment_notices (payment_id) VALUES ($1)', [payment.id]),
    ]);
    const fresh = await redis.set(\`pay:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
    if (!fresh) return message;
    await pool.query('INSERT INTO payouts (payment_id) VALUES ($1)', [payment.id]);
    return message;
  },
});
`,
    escapes: [
      { at: 'mailer.sendMail', messageId: 'effectBeforeCheck', data: 'sendMail' },
      { at: 'INSERT INTO payment_notices', messageId: 'effectBeforeCheck', data: 'INSERT INTO payment_notices' },
    ],
  }),
  invalid({
    name: 'amqplib: with "identity": "message-id", a messageId guard still counts and an insert escapes it',
    config: { identity: 'message-id' },
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO order_log (order_number) VALUES ($1)', [order.number]);
    const first = await redis.set(\`order:\${msg.properties.messageId}\`, '1', 'EX', 600, 'NX');
    if (!first) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO orders (number, total) VALUES ($1, $2)', [order.number, order.total]);
    channel.ack(msg);
  });
}
`,
    escapes: [{ at: 'INSERT INTO order_log', messageId: 'effectBeforeCheck', data: 'INSERT INTO order_log' }],
  }),
  invalid({
    name: 'kafkajs: a config-named wrapper guard, with a publish before it',
    config: { guards: [{ name: 'onceper', returns: 'wrapper', keyArgument: 0 }] },
    files: {
      'once.ts': `import Redis from 'ioredis';

const redis = new Redis();

export async function onceper(key: string, work: () => Promise<void>): Promise<void> {
  const first = await redis.set(\`once:\${key}\`, '1', 'EX', 86400, 'NX');
  if (first) await work();
}
`,
    },
    code: `${KAFKA_HEAD}
import { onceper } from './once';

const producer = kafka.producer();

export async function start(): Promise<void> {
  await producer.connect();
  await consumer.subscribe({ topic: 'loyalty.points' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const evt = JSON.parse(message.value!.toString());
      await producer.send({ topic: 'loyalty.audit', messages: [{ key: evt.memberId, value: message.value }] });
      await onceper(\`\${topic}:\${partition}:\${message.offset}\`, async () => {
        await pool.query('UPDATE members SET points = points + $1 WHERE id = $2', [evt.points, evt.memberId]);
      });
    },
  });
}
`,
    escapes: [{ at: "topic: 'loyalty.audit'", messageId: 'effectBeforeCheck', data: 'Kafka producer.send' }],
  }),
];

ruleTester(RULE, { valid, invalid: invalidCases });

// ---- the valid cases are meaningful ----------------------------------------------------------

/**
 * A valid case only shows something when its consumer is recognised and the handler does reach a
 * duplicate-unsafe effect (otherwise "no finding" would be trivially true).
 */
for (const mode of MODES) {
  describe(`${RULE}: valid fixtures are recognised consumers with unsafe effects (${mode})`, () => {
    let project: TestProject;
    const results = new Map<string, AnalysisResult>();
    const consumerFiles = new Map<string, string>();
    before(() => {
      project = new TestProject(mode, 'nih-sanity');
      const byConfig = new Map<string, { names: string[]; files: string[] }>();
      valid.forEach((c, index) => {
        const written = project.write(
          Object.fromEntries(
            Object.entries({ 'consumer.ts': c.code, ...(c.files ?? {}) }).map(([name, text]) => [
              `case-${index}/${name}`,
              text,
            ]),
          ),
        );
        consumerFiles.set(c.name, written[0]);
        const key = JSON.stringify(c.config ?? {});
        const group = byConfig.get(key) ?? { names: [], files: [] };
        group.names.push(c.name);
        group.files.push(...written);
        byConfig.set(key, group);
      });
      for (const [key, group] of byConfig) {
        const result = project.analyze(group.files, configWith(JSON.parse(key) as Partial<ResolvedConfig>));
        for (const name of group.names) results.set(name, result);
      }
    });
    after(() => project?.remove());
    for (const c of valid) {
      test(c.name, () => {
        const result = results.get(c.name)!;
        const consumers = result.consumers.filter(
          (consumer) => consumer.registration.location.filePath === consumerFiles.get(c.name),
        );
        assert.equal(consumers.length, 1, 'the fixture should register exactly one consumer');
        const unsafe = consumers[0].effects.filter((effect) => effect.description.class === 'duplicate-unsafe');
        assert.ok(
          unsafe.length > 0,
          `the handler should reach a duplicate-unsafe effect; effects: ${consumers[0].effects.map((effect) => `${effect.description.label}=${effect.description.class}`).join(', ')}`,
        );
        const guards = consumers[0].guards.filter(
          (guard) => guard.scope === 'message' && guard.keyedByIdentity && !guard.invalidReason,
        );
        const describeGuards =
          consumers[0].guards
            .map(
              (guard) =>
                `${guard.label} (${guard.scope}, keyed=${guard.keyedByIdentity}${guard.invalidReason ? `, ${guard.invalidReason}` : ''})`,
            )
            .join('; ') || 'none';
        if (WITHOUT_VALID_GUARD.has(c.name))
          assert.equal(guards.length, 0, `the fixture should have no valid identity guard; guards: ${describeGuards}`);
        else assert.ok(guards.length > 0, `the fixture should have a valid identity guard; guards: ${describeGuards}`);
      });
    }
  });
}

// ---- one cause, one finding ------------------------------------------------------------------

/**
 * For each handler, at most one of missing-event-id-check (no valid identity guard) and
 * non-idempotent-handler (a valid guard, escaped) fires (docs/model.md, "How the rules share a handler").
 */
const ONE_CAUSE_FILES: Record<
  string,
  { code: string; expected: 'missing-event-id-check' | 'non-idempotent-handler' | 'none' }
> = {
  'no-guard.ts': {
    expected: 'missing-event-id-check',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString());
      await pool.query('INSERT INTO invoices (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
    },
  });
}
`,
  },
  'escaped-guard.ts': {
    expected: 'non-idempotent-handler',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    await mailer.sendMail({ to: 'ops@example.com', subject: 'order', text: msg.content.toString() });
    await pool.query('INSERT INTO order_log (body) VALUES ($1)', [msg.content.toString()]);
    const first = await redis.set(\`o:\${msg.properties.messageId}\`, '1', 'EX', 600, 'NX');
    if (!first) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [msg.content.toString()]);
    channel.ack(msg);
  });
}
`,
  },
  'random-key.ts': {
    expected: 'missing-event-id-check',
    code: `${SQS_HEAD}
import { randomUUID } from 'node:crypto';

export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    await pool.query('INSERT INTO attempts (body) VALUES ($1)', [message.Body]);
    const claimed = await redis.set(\`run:\${randomUUID()}\`, '1', 'EX', 60, 'NX');
    if (!claimed) return message;
    await stripe.charges.create({ amount: 100, currency: 'usd', source: 'tok_visa' });
    return message;
  },
});
`,
  },
  'get-or-create.ts': {
    expected: 'missing-event-id-check',
    code: `import { Kafka } from 'kafkajs';
import { PrismaClient } from '@prisma/client';
import nodemailer from 'nodemailer';

const prisma = new PrismaClient();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });
const consumer = new Kafka({ clientId: 'accounts', brokers: ['kafka:9092'] }).consumer({ groupId: 'accounts' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'users.signed-up' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const evt = JSON.parse(message.value!.toString());
      const u = await prisma.user.findUnique({ where: { email: evt.email } });
      if (!u) await prisma.user.create({ data: { email: evt.email } });
      await mailer.sendMail({ to: evt.email, subject: 'Welcome', text: 'Hello' });
    },
  });
}
`,
  },
  'in-memory.ts': {
    expected: 'missing-event-id-check',
    code: `${AMQP_HEAD}
const seen = new Set<string>();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    await pool.query('INSERT INTO order_log (body) VALUES ($1)', [msg.content.toString()]);
    if (seen.has(msg.properties.messageId)) return;
    seen.add(msg.properties.messageId);
    await mailer.sendMail({ to: 'ops@example.com', subject: 'order', text: msg.content.toString() });
    channel.ack(msg);
  });
}
`,
  },
  'all-guarded.ts': {
    expected: 'none',
    code: `${SQS_HEAD}
export const payments = Consumer.create({
  queueUrl: '${SQS_QUEUE}',
  handleMessage: async (message) => {
    const fresh = await redis.set(\`p:\${message.MessageId}\`, '1', 'EX', 3600, 'NX');
    if (!fresh) return message;
    await pool.query('INSERT INTO payouts (body) VALUES ($1)', [message.Body]);
    return message;
  },
});
`,
  },
};

for (const mode of MODES) {
  describe(`${RULE}: one cause, one finding (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    const paths = new Map<string, string>();

    before(() => {
      project = new TestProject(mode, 'one-cause');
      const files = Object.keys(ONE_CAUSE_FILES);
      const written = project.write(Object.fromEntries(files.map((file) => [file, ONE_CAUSE_FILES[file].code])));
      files.forEach((file, index) => paths.set(file, written[index]));
      result = project.analyze(written);
    });
    after(() => project?.remove());

    for (const [file, { expected }] of Object.entries(ONE_CAUSE_FILES)) {
      test(`${file}: ${expected === 'none' ? 'no dedup finding' : `only ${expected}`}`, () => {
        assert.deepEqual(result.problems, []);
        const consumers = result.consumers.filter(
          (consumer: ConsumerReport) => consumer.registration.location.filePath === paths.get(file),
        );
        assert.equal(consumers.length, 1, `expected one consumer in ${file}`);
        const [consumer] = consumers;
        const rules = ['missing-event-id-check', RULE];
        const byRule = Object.fromEntries(
          rules.map((rule) => [
            rule,
            result.findings.filter((finding) => finding.ruleId === rule && finding.consumerId === consumer.id),
          ]),
        );
        const firing = rules.filter((rule) => byRule[rule].length > 0);
        assert.ok(firing.length <= 1, `both dedup rules fired for one handler: ${firing.join(', ')}`);
        assert.deepEqual(firing, expected === 'none' ? [] : [expected]);
        if (expected === 'missing-event-id-check')
          assert.equal(byRule[expected].length, 1, 'missing-event-id-check is reported once per handler');
      });
    }
  });
}

// ---- where the finding and its related locations point -----------------------------------

for (const mode of MODES) {
  test(`${RULE}: an effect in a helper is reported on the handler's call, related into the helper file (${mode})`, () => {
    const project = new TestProject(mode, 'nih-related');
    try {
      const helper = `import { Pool } from 'pg';

const pool = new Pool();

export async function logReceipt(body: string): Promise<void> {
  await pool.query('INSERT INTO receipts_log (body) VALUES ($1)', [body]);
}
`;
      const consumer = `${AMQP_HEAD}
import { logReceipt } from './receipts';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('receipts', async (msg) => {
    if (!msg) return;
    await logReceipt(msg.content.toString());
    const first = await redis.set(\`r:\${msg.properties.messageId}\`, '1', 'EX', 600, 'NX');
    if (!first) return;
    await mailer.sendMail({ to: 'billing@example.com', subject: 'receipt', text: msg.content.toString() });
    channel.ack(msg);
  });
}
`;
      const [consumerPath, helperPath] = project.write({ 'consumer.ts': consumer, 'receipts.ts': helper });
      const result = project.analyze([consumerPath]);
      assert.deepEqual(result.problems, []);
      const findings = findingsOf(result, RULE);
      assert.equal(findings.length, 1, findings.map((finding) => finding.message).join('\n'));
      const [finding] = findings;
      assert.equal(finding.location.filePath, consumerPath);
      assert.equal(finding.location.line, lineOf(consumer, 'await logReceipt('));
      const insertLine = lineOf(helper, 'INSERT INTO receipts_log');
      assert.ok(
        finding.related.some(
          (related) => related.location.filePath === helperPath && related.location.line === insertLine,
        ),
        `a related location should point at the insert in receipts.ts:${insertLine}; got ${finding.related.map((related) => `${related.location.filePath}:${related.location.line}`).join(', ')}`,
      );
      const guardLine = lineOf(consumer, "'NX');");
      assert.ok(
        finding.related.some(
          (related) => related.location.filePath === consumerPath && related.location.line === guardLine,
        ),
        'a related location should point at the dedup check',
      );
      assert.equal(findingsOf(result, 'missing-event-id-check').length, 0);
    } finally {
      project.remove();
    }
  });
}
