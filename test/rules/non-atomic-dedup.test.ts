/**
 * non-atomic-dedup (docs/rules/non-atomic-dedup.md): the identity guard itself duplicates or loses.
 * (a) a check and a separate record: reported on the check, judged on the duplicate-unsafe
 * effects it is the only protection of; (b) a claim made before the effects, never released on
 * failure and not leased briefly: reported on the claim. Guards on a random key, auto-ack
 * consumers, effects after the ack and Kafka transactional sends are other rules' business.
 */
import { type ExpectedFinding, type InvalidRuleTestCase, type RuleTestCase, ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';
import { sqsDecoratedStore } from '../helpers/shared-fixtures';

const RULE = 'non-atomic-dedup';

type Located = Omit<ExpectedFinding, 'line' | 'file'> & { at: string };

function invalid(c: Omit<InvalidRuleTestCase, 'errors'> & { findings: Located[] }): InvalidRuleTestCase {
  const { findings, ...rest } = c;
  return { ...rest, errors: findings.map(({ at, ...expected }) => ({ ...expected, line: lineOf(c.code, at) })) };
}

// ---- fixtures ----------------------------------------------------------------------------------

const KAFKA_HEAD = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';
import Stripe from 'stripe';

const kafka = new Kafka({ clientId: 'billing', brokers: ['kafka-1:9092'] });
const consumer = kafka.consumer({ groupId: 'billing-service' });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379');
const pool = new Pool();
const stripe = new Stripe(process.env.STRIPE_KEY ?? '');
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
import Redis from 'ioredis';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';

const redis = new Redis();
const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal', port: 587 });
`;

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts';

/** A BullMQ mail worker's set-up with a helper that claims a per-team cooldown (SET NX) before its mail. */
const BULLMQ_LIMIT_NOTIFIER = `import { Worker, type Job } from 'bullmq';
import { PrismaClient } from '@prisma/client';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const db = new PrismaClient();
const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });

async function notifyLimitReached(teamId: string): Promise<void> {
  const acquired = await redis.set(\`limit:notify:\${teamId}\`, '1', 'EX', 86400, 'NX');
  if (acquired !== 'OK') return;
  await mailer.sendMail({ to: 'owner@example.com', subject: 'Limit reached', text: teamId });
}
`;

// ---- invalid: (a) check-then-record ------------------------------------------------------------

const AMQP_EXISTS = `${AMQP_HEAD}
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
`;

const KAFKA_SQL_CHECK = `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const eventId = \`\${topic}:\${partition}:\${message.offset}\`;
      const order = JSON.parse(message.value!.toString()) as { id: string; customerId: string; totalCents: number };
      const seen = await pool.query('SELECT 1 FROM processed_events WHERE event_id = $1', [eventId]);
      if (seen.rowCount) return;
      await stripe.charges.create({ amount: order.totalCents, currency: 'eur', customer: order.customerId });
      await pool.query('INSERT INTO processed_events (event_id) VALUES ($1)', [eventId]);
    },
  });
}
`;

const SQS_GET = `${SQS_HEAD}
export const receipts = Consumer.create({
  queueUrl: '${QUEUE}',
  handleMessage: async (message) => {
    const key = \`receipt-sent:\${message.MessageId}\`;
    if ((await redis.get(key)) !== null) return message;
    const receipt = JSON.parse(message.Body ?? '{}') as { email: string; totalCents: number };
    await mailer.sendMail({ to: receipt.email, subject: 'Your receipt', text: \`Total: \${receipt.totalCents / 100} EUR\` });
    await redis.set(key, 'done', 'EX', 7 * 86400);
    return message;
  },
});
`;

/** A business-state check (the order is already paid) is a check-then-record guard too (docs/model.md, "Guards"). */
const BULLMQ_STATUS = `import { Worker } from 'bullmq';
import { Pool } from 'pg';
import Stripe from 'stripe';

const pool = new Pool();
const stripe = new Stripe(process.env.STRIPE_KEY ?? '');

export const worker = new Worker('payments', async (job) => {
  const { rows } = await pool.query('SELECT status FROM orders WHERE id = $1', [job.data.orderId]);
  if (rows[0]?.status === 'paid') return;
  await stripe.charges.create({ amount: job.data.amountCents, currency: 'eur', customer: job.data.customerId });
  await pool.query("UPDATE orders SET status = 'paid' WHERE id = $1", [job.data.orderId]);
}, { connection: { host: 'redis' } });
`;

/**
 * A business state loaded by a message-derived key through a store the analysis cannot see into
 * (decorated onto the server object it is given): the handler leaves when the callback was already
 * acknowledged, and records the acknowledgement after the POST (docs/model.md, "Guards").
 */
const SQS_DECORATED_STORE_STATE = sqsDecoratedStore();

/** The same shape with a Redis client the analysis knows: the record is stored as JSON. */
const SQS_REDIS_JSON_STATE = `${SQS_HEAD}
export const callbacks = Consumer.create({
  queueUrl: '${QUEUE}',
  handleMessage: async (message) => {
    const { uploadId } = JSON.parse(message.Body ?? '{}') as { uploadId: string };
    const upload = JSON.parse((await redis.get(\`upload:\${uploadId}\`)) ?? '{}') as { email: string; receiptSentAt?: string };
    if (upload.receiptSentAt) return;
    await mailer.sendMail({ to: upload.email, subject: 'Upload received', text: uploadId });
    upload.receiptSentAt = new Date().toISOString();
    await redis.set(\`upload:\${uploadId}\`, JSON.stringify(upload));
  },
});
`;

/** Get-or-create: the existence check gates one insert inside larger processing (entity level). */
const KAFKA_GET_OR_CREATE = `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const claimed = await redis.set(\`seen:\${topic}:\${partition}:\${message.offset}\`, 'processing', 'EX', 300, 'NX');
      const signup = JSON.parse(message.value!.toString()) as { email: string; name: string; plan: string };
      const existing = await pool.query('SELECT id FROM customers WHERE email = $1', [signup.email]);
      if (existing.rowCount === 0) {
        await pool.query('INSERT INTO customers (email, name) VALUES ($1, $2)', [signup.email, signup.name]);
      }
      await pool.query('UPDATE plans SET subscribers = subscribers + 1 WHERE name = $1', [signup.plan]);
      void claimed;
    },
  });
}
`;

/** The check is in a helper: the finding goes on the handler's call into it. */
const HELPER_FILE = `import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });

export async function sendWelcomeOnce(id: string, email: string): Promise<void> {
  if (await redis.exists(\`welcome:\${id}\`)) return;
  await mailer.sendMail({ to: email, subject: 'Welcome!', text: 'Hello' });
  await redis.set(\`welcome:\${id}\`, '1');
}
`;

const AMQP_HELPER = `import amqp from 'amqplib';
import { sendWelcomeOnce } from './services/welcome';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const user = JSON.parse(msg.content.toString()) as { email: string };
    await sendWelcomeOnce(msg.properties.messageId, user.email);
    channel.ack(msg);
  });
}
`;

// ---- invalid: (b) claims not released ------------------------------------------------------------

const KAFKA_LONG_LEASE = `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; total: number };
      const claimed = await redis.set(\`processed:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 86400, 'NX');
      if (!claimed) return;
      await pool.query('INSERT INTO invoices (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
    },
  });
}
`;

const AMQP_NO_LEASE = `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const claimed = await redis.set(\`welcome:\${msg.properties.messageId}\`, '1', 'NX');
    if (!claimed) {
      channel.ack(msg);
      return;
    }
    const user = JSON.parse(msg.content.toString());
    try {
      await mailer.sendMail({ to: user.email, subject: 'Welcome!', text: 'Thanks for signing up.' });
    } catch (error) {
      console.error('welcome mail failed', error);
      throw error;
    }
    channel.ack(msg);
  });
}
`;

/** The inbox insert commits on its own (pool.query, no transaction): the effects are not in it. */
const SQS_INBOX_AUTOCOMMIT = `${SQS_HEAD}
export const receipts = Consumer.create({
  queueUrl: '${QUEUE}',
  handleMessage: async (message) => {
    const { rowCount } = await pool.query('INSERT INTO processed_messages (message_id) VALUES ($1) ON CONFLICT DO NOTHING', [message.MessageId]);
    if (rowCount === 0) return message;
    const receipt = JSON.parse(message.Body ?? '{}') as { email: string };
    await mailer.sendMail({ to: receipt.email, subject: 'Your receipt', text: 'Thanks' });
    return message;
  },
});
`;

// ---- valid -----------------------------------------------------------------------------------------

const valid: RuleTestCase[] = [
  {
    // The helper's query selects doubleOptIn: that reads the flag, it does not record it, so the
    // flag is validation, not a state the processing records.
    name: "BullMQ: a contact book's double-opt-in flag tested through a const, a helper selecting it",
    code: `import { Worker, type Job } from 'bullmq';
import { PrismaClient } from '@prisma/client';
import nodemailer from 'nodemailer';

const db = new PrismaClient();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });

async function sendConfirmation(bookId: string, email: string): Promise<void> {
  const book = await db.contactBook.findUnique({ where: { id: bookId }, select: { doubleOptIn: true, name: true } });
  await mailer.sendMail({ to: email, subject: \`Confirm your subscription to \${book?.name}\` });
}

async function addContact(job: Job<{ bookId: string; email: string; subscribed?: boolean }>): Promise<void> {
  const book = await db.contactBook.findUnique({ where: { id: job.data.bookId }, select: { doubleOptIn: true } });
  if (!book) throw new Error('contact book not found');
  const shouldConfirm = book.doubleOptIn && job.data.subscribed !== false;
  if (shouldConfirm) {
    await sendConfirmation(job.data.bookId, job.data.email);
  }
}

new Worker('contacts', addContact);
`,
  },
  {
    // The subject check gates its own update only; the mail after the helper's claim is that
    // claim's, and no write after the check's `if` is its record.
    name: 'BullMQ: a state check gating one update, then a helper whose SET NX claim gates a mail',
    code: `${BULLMQ_LIMIT_NOTIFIER}
async function sendEmail(job: Job<{ emailId: string }>): Promise<void> {
  const email = await db.email.findUnique({ where: { id: job.data.emailId } });
  if (!email) return;
  const subject = email.subject.replace('{{name}}', email.name);
  if (subject !== email.subject) {
    await db.email.update({ where: { id: email.id }, data: { subject } });
  }
  await notifyLimitReached(email.teamId);
  await mailer.sendMail({ to: email.to, subject, text: email.text });
}

new Worker('emails', sendEmail);
`,
  },
  {
    // The lookup only fills in the subject: its found side skips nothing and its other side gates
    // nothing, so it is no check, and the later claim in a helper is no record of it.
    name: 'BullMQ: a lookup that only personalises the mail, then a helper claiming a cooldown with SET NX',
    code: `${BULLMQ_LIMIT_NOTIFIER}
async function sendEmail(job: Job<{ emailId: string; contactId: string; teamId: string }>): Promise<void> {
  let subject = 'Hello';
  const contact = await db.contact.findUnique({ where: { id: job.data.contactId } });
  if (contact) {
    subject = \`Hello \${contact.name}\`;
  }
  await notifyLimitReached(job.data.teamId);
  await mailer.sendMail({ to: 'someone@example.com', subject, text: job.data.emailId });
}

new Worker('emails', sendEmail);
`,
  },
  {
    name: 'kafkajs: SET NX with a short lease, released in the catch, marked done after the work',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = \`processed:\${topic}:\${partition}:\${message.offset}\`;
      const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');
      if (!claimed) return;
      try {
        await pool.query('INSERT INTO invoices (order_id) VALUES ($1)', [message.key?.toString()]);
        await redis.set(key, 'done', 'EX', 7 * 86400);
      } catch (error) {
        await redis.del(key);
        throw error;
      }
    },
  });
}
`,
  },
  {
    name: 'kafkajs: SET NX with a day-long lease is fine when the catch releases it',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const claimed = await redis.set(\`processed:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 86400, 'NX');
      if (!claimed) return;
      try {
        await pool.query('UPDATE wallets SET balance = balance + 10 WHERE id = $1', [message.key?.toString()]);
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
    name: 'amqplib: SET NX with a 5-minute lease and no release: a retry after the lease runs it',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const claimed = await redis.set(\`welcome:\${msg.properties.messageId}\`, 'processing', 'EX', 300, 'NX');
    if (!claimed) {
      channel.ack(msg);
      return;
    }
    const user = JSON.parse(msg.content.toString());
    await mailer.sendMail({ to: user.email, subject: 'Welcome!', text: 'Thanks for signing up.' });
    await redis.set(\`welcome:\${msg.properties.messageId}\`, 'done');
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'kafkajs: the lease is a constant the analysis does not read (EX, CLAIM_TTL): not judged',
    code: `${KAFKA_HEAD}
const CLAIM_TTL = Number(process.env.CLAIM_TTL ?? 300);
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const claimed = await redis.set(\`processed:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', CLAIM_TTL, 'NX');
      if (!claimed) return;
      await pool.query('INSERT INTO invoices (order_id) VALUES ($1)', [message.key?.toString()]);
    },
  });
}
`,
  },
  {
    name: 'kafkajs: SETNX then EXPIRE of the same key: the lease is set apart, not judged',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = \`processed:\${topic}:\${partition}:\${message.offset}\`;
      const claimed = await redis.setnx(key, '1');
      if (!claimed) return;
      await redis.expire(key, 300);
      await pool.query('INSERT INTO invoices (order_id) VALUES ($1)', [message.key?.toString()]);
    },
  });
}
`,
  },
  {
    name: 'amqplib: a claim made through a helper of the project keeps its lease inside it: not judged',
    code: `${AMQP_HEAD}
async function claimOnce(id: string): Promise<boolean> {
  return (await redis.set(\`welcome:\${id}\`, 'processing', 'EX', 300, 'NX')) === 'OK';
}
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    if (!(await claimOnce(msg.properties.messageId))) {
      channel.ack(msg);
      return;
    }
    await mailer.sendMail({ to: JSON.parse(msg.content.toString()).email, subject: 'Welcome!', text: 'Hi' });
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'sqs-consumer: inbox insert ON CONFLICT DO NOTHING in the transaction of the effects (rolled back on failure)',
    code: `${SQS_HEAD}
export const receipts = Consumer.create({
  queueUrl: '${QUEUE}',
  handleMessage: async (message) => {
    const payment = JSON.parse(message.Body ?? '{}') as { accountId: string; amount: number };
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
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    return message;
  },
});
`,
  },
  {
    name: 'sqs-consumer: a check outside, the record in the same transaction as the effects (inbox: a racing duplicate fails on the key)',
    code: `${SQS_HEAD}
export const receipts = Consumer.create({
  queueUrl: '${QUEUE}',
  handleMessage: async (message) => {
    const seen = await pool.query('SELECT 1 FROM processed_messages WHERE message_id = $1', [message.MessageId]);
    if (seen.rowCount) return message;
    const payment = JSON.parse(message.Body ?? '{}') as { accountId: string; amount: number };
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO processed_messages (message_id) VALUES ($1)', [message.MessageId]);
      await client.query('INSERT INTO ledger_entries (account_id, amount) VALUES ($1, $2)', [payment.accountId, payment.amount]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
    return message;
  },
});
`,
  },
  {
    name: 'kafkajs: an existence check before a create keyed by the message (a duplicate fails on the key): no finding for that pair',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; total: number };
      const existing = await pool.query('SELECT 1 FROM orders WHERE id = $1', [order.id]);
      if (existing.rowCount) return;
      await pool.query('INSERT INTO orders (id, total) VALUES ($1, $2)', [order.id, order.total]);
    },
  });
}
`,
  },
  {
    name: 'amqplib: check-then-record that protects only idempotent effects (an upsert, a SET)',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('profiles', async (msg) => {
    if (!msg) return;
    const id = msg.properties.messageId;
    if (await redis.exists(\`seen:\${id}\`)) {
      channel.ack(msg);
      return;
    }
    const profile = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO profiles (user_id, name) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET name = EXCLUDED.name', [profile.userId, profile.name]);
    await redis.set(\`seen:\${id}\`, '1');
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'kafkajs: a fast-path check before an atomic claim: the claim protects the work',
    code: `${KAFKA_HEAD}
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = \`processed:\${topic}:\${partition}:\${message.offset}\`;
      if ((await redis.get(key)) === 'done') return;
      const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');
      if (!claimed) throw new Error('in flight elsewhere');
      try {
        await stripe.charges.create({ amount: 100, currency: 'eur', customer: 'cus_1' });
        await redis.set(key, 'done', 'EX', 7 * 86400);
      } catch (error) {
        await redis.del(key);
        throw error;
      }
    },
  });
}
`,
  },
  {
    name: 'kafkajs: a check on a random key guards nothing (missing-event-id-check reports it, not this rule)',
    code: `${KAFKA_HEAD}
import { randomUUID } from 'node:crypto';
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = \`seen:\${randomUUID()}\`;
      if (await redis.exists(key)) return;
      await stripe.charges.create({ amount: 100, currency: 'eur', customer: 'cus_1' });
      await redis.set(key, '1');
      void message;
    },
  });
}
`,
  },
  {
    name: 'amqplib noAck: true: auto-ack consumers get at-most-once-consumer, no dedup finding',
    code: AMQP_EXISTS.replace('channel.ack(msg);\n      return;', 'return;').replace(
      '    channel.ack(msg);\n  });',
      '  }, { noAck: true });',
    ),
  },
  {
    name: 'amqplib: a handler declared @delivery at-most-once',
    code: AMQP_EXISTS.replace(
      "await channel.consume('signups', async (msg) => {",
      "await channel.consume('signups', /** @delivery at-most-once */ async (msg) => {",
    ),
  },
  {
    name: 'amqplib: the guard function is named in the config (the user vouches for it)',
    config: { guards: [{ name: 'alreadyHandled', returns: 'seen', keyArgument: 0 }] },
    code: `${AMQP_HEAD}
declare function alreadyHandled(id: string): Promise<boolean>;
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    if (await alreadyHandled(msg.properties.messageId)) {
      channel.ack(msg);
      return;
    }
    const user = JSON.parse(msg.content.toString());
    await mailer.sendMail({ to: user.email, subject: 'Welcome!', text: 'Hi' });
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'sqs-consumer: the effect runs after the message is deleted (ack-before-process owns it)',
    code: `${SQS_HEAD}
import { DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
const sqs = new SQSClient({});
export const receipts = Consumer.create({
  queueUrl: '${QUEUE}',
  sqs,
  handleMessage: async (message) => {
    if (await redis.exists(\`seen:\${message.MessageId}\`)) return message;
    await redis.set(\`seen:\${message.MessageId}\`, '1');
    return message;
  },
});
`,
  },
  {
    name: 'kafkajs: a transactional send after a check is exactly-once-incomplete business, not a dedup finding',
    code: `${KAFKA_HEAD}
const producer = kafka.producer({ transactionalId: 'billing-tx', maxInFlightRequests: 1, idempotent: true });
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = \`seen:\${topic}:\${partition}:\${message.offset}\`;
      if (await redis.exists(key)) return;
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'invoices', messages: [{ value: message.value }] });
      await transaction.commit();
      await redis.set(key, '1');
    },
  });
}
`,
  },
];

// ---- invalid ---------------------------------------------------------------------------------------

/** Spend alerts of an organisation loaded by the job's key, each mailed once per period. */
const SPEND_ALERTS = `import { Worker, type Job } from 'bullmq';
import { PrismaClient } from '@prisma/client';
import nodemailer from 'nodemailer';

const prisma = new PrismaClient();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });

async function handleSpendAlerts(job: Job<{ orgId: string }>): Promise<void> {
  const { orgId } = job.data;
  const org = await prisma.organization.findFirst({ where: { id: orgId }, include: { spendAlerts: true } });
  if (!org) return;
  const periodStart = new Date(Date.now() - 30 * 86400_000);
  for (const alert of org.spendAlerts) {
    const alreadyTriggered = alert.triggeredAt && alert.triggeredAt >= periodStart;
    if (!alreadyTriggered) {
      await mailer.sendMail({ to: 'billing@example.com', subject: \`Spend alert \${alert.title}\`, text: orgId });
      await prisma.spendAlert.update({ where: { id: alert.id }, data: { triggeredAt: new Date() } });
    }
  }
}

new Worker('spend-alerts', handleSpendAlerts);
`;

/** Both spend-alert shapes: the check on the alert's triggeredAt, recorded after the mail. */
const SPEND_ALERT_FINDINGS: Located[] = [
  {
    at: 'if (!alreadyTriggered) {',
    messageId: 'checkThenRecord',
    data: ['triggeredAt', 'sendMail'],
    severity: 'warning',
  },
];

const invalidCases: InvalidRuleTestCase[] = [
  invalid({
    // Each alert is an item of the organisation loaded by the message's key: loaded too, so its
    // triggeredAt is a state the processing records.
    name: 'BullMQ: each alert of the loaded organisation, skipped when already sent this period, recorded after the mail',
    code: SPEND_ALERTS,
    findings: SPEND_ALERT_FINDINGS,
  }),
  invalid({
    // `org.spendAlerts` is the loaded row's, through the literal that holds it.
    name: 'BullMQ: the same, the alerts taken from an object literal built from the loaded row',
    code: SPEND_ALERTS.replace(
      '  const org = await prisma.organization.findFirst({ where: { id: orgId }, include: { spendAlerts: true } });\n  if (!org) return;',
      '  const row = await prisma.organization.findFirst({ where: { id: orgId }, include: { spendAlerts: true } });\n  if (!row) return;\n  const org = { ...row, name: row.name.trim(), spendAlerts: row.spendAlerts };',
    ),
    findings: SPEND_ALERT_FINDINGS,
  }),
  invalid({
    // The test is held in a const: `if (!alreadyTriggered)` reads the alert's triggeredAt as
    // `if (!(alert.triggeredAt && …))` would.
    name: 'BullMQ: an alert already sent this period, tested through a const, recorded after the mail',
    code: SPEND_ALERTS.replace(
      '  for (const alert of org.spendAlerts) {\n',
      '  {\n    const alert = await prisma.spendAlert.findFirst({ where: { orgId } });\n    if (!alert) return;\n',
    ),
    findings: [
      {
        at: 'if (!alreadyTriggered) {',
        messageId: 'checkThenRecord',
        data: ['prisma.spendAlert.findFirst: triggeredAt', 'sendMail'],
        severity: 'warning',
      },
    ],
  }),
  invalid({
    name: 'amqplib: Redis EXISTS then the insert and the email, then SET of the same key',
    code: AMQP_EXISTS,
    findings: [
      {
        at: 'if (await redis.exists(',
        messageId: 'checkThenRecord',
        data: [
          "amqplib consumer of queue 'signups'",
          'redis exists',
          'records it separately (redis set, line 23)',
          'INSERT INTO welcome_log',
          'sendMail',
        ],
        related: 4,
        severity: 'warning',
      },
    ],
  }),
  invalid({
    name: 'kafkajs: SELECT from processed_events, the Stripe charge, then INSERT into processed_events (no transaction)',
    code: KAFKA_SQL_CHECK,
    findings: [
      {
        at: "const seen = await pool.query('SELECT 1",
        messageId: 'checkThenRecord',
        data: ['kafkajs consumer of topic', 'SELECT', 'Stripe charges.create', 'INSERT INTO processed_events'],
      },
    ],
  }),
  invalid({
    name: 'sqs-consumer: Redis GET !== null, the email, then SET done',
    code: SQS_GET,
    findings: [
      {
        at: 'if ((await redis.get(key)) !== null)',
        messageId: 'checkThenRecord',
        data: ['sqs-consumer consumer', 'redis get', 'sendMail'],
      },
    ],
  }),
  invalid({
    name: 'BullMQ: a business-state check (status already paid) before the charge, the status written after',
    code: BULLMQ_STATUS,
    findings: [
      {
        // A business-state check is reported on the condition that reads the state.
        at: "if (rows[0]?.status === 'paid') return;",
        messageId: 'checkThenRecord',
        data: ['bullmq consumer', 'Stripe charges.create'],
      },
    ],
  }),
  invalid({
    name: 'sqs-consumer: a state loaded through a store decorated onto the server (acknowledged), the POST, then the state recorded',
    code: SQS_DECORATED_STORE_STATE,
    findings: [
      {
        at: 'if (upload.acknowledged) return;',
        messageId: 'checkThenRecord',
        data: ['sqs-consumer consumer', 'HTTP POST'],
      },
    ],
  }),
  invalid({
    name: 'sqs-consumer: a state decoded from a Redis GET by the payload id (JSON.parse), the email, then the state stored',
    code: SQS_REDIS_JSON_STATE,
    findings: [
      {
        at: 'if (upload.receiptSentAt) return;',
        messageId: 'checkThenRecord',
        data: ['sqs-consumer consumer', 'sendMail'],
      },
    ],
  }),
  invalid({
    name: 'sqs-consumer: the same, the state held in a const with a falsy default (?? false)',
    code: SQS_REDIS_JSON_STATE.replace(
      '    if (upload.receiptSentAt) return;',
      '    const receiptSent = upload.receiptSentAt ?? false;\n    if (receiptSent) return;',
    ),
    findings: [
      {
        at: 'if (receiptSent) return;',
        messageId: 'checkThenRecord',
        data: ['sqs-consumer consumer', 'sendMail'],
      },
    ],
  }),
  invalid({
    name: 'sqs-consumer: the same, that const tested beside another condition',
    code: SQS_REDIS_JSON_STATE.replace(
      '    if (upload.receiptSentAt) return;',
      "    const receiptSent = upload.receiptSentAt ?? false;\n    if (uploadId === '' || receiptSent) return;",
    ),
    findings: [
      {
        at: "const upload = JSON.parse((await redis.get(`upload:${uploadId}`)) ?? '{}')",
        messageId: 'checkThenRecord',
        data: ['sqs-consumer consumer', 'sendMail'],
      },
    ],
  }),
  invalid({
    name: 'kafkajs: get-or-create of a customer by email (entity level), the insert not keyed by the message',
    code: KAFKA_GET_OR_CREATE,
    findings: [
      {
        at: "const existing = await pool.query('SELECT id FROM customers",
        messageId: 'entityCheckThenRecord',
        data: 'INSERT INTO customers',
      },
    ],
  }),
  invalid({
    name: "amqplib: the check-then-record lives in a helper: reported on the handler's call, related into the helper",
    code: AMQP_HELPER,
    files: { 'services/welcome.ts': HELPER_FILE },
    findings: [
      {
        at: 'await sendWelcomeOnce(',
        messageId: 'checkThenRecord',
        data: 'sendMail (email) (via sendWelcomeOnce())',
        related: 3,
      },
    ],
  }),
  invalid({
    name: 'kafkajs: SET NX with a day-long lease, nothing releases it when the insert fails',
    code: KAFKA_LONG_LEASE,
    findings: [
      {
        at: 'const claimed = await redis.set(',
        messageId: 'claimNotReleased',
        data: ['redis SET NX', 'INSERT INTO invoices', 'its lease (1 day) outlasts the redelivery'],
      },
    ],
  }),
  invalid({
    name: 'amqplib: SET NX without expiry; the catch logs and rethrows but does not delete the key',
    code: AMQP_NO_LEASE,
    findings: [
      { at: 'const claimed = await redis.set(', messageId: 'claimNotReleased', data: ['it never expires', 'sendMail'] },
    ],
  }),
  invalid({
    name: 'sqs-consumer: inbox insert ON CONFLICT DO NOTHING that commits on its own, before the email',
    code: SQS_INBOX_AUTOCOMMIT,
    findings: [
      {
        at: "const { rowCount } = await pool.query('INSERT INTO processed_messages",
        messageId: 'claimNotReleased',
        data: 'INSERT INTO processed_messages',
      },
    ],
  }),
];

ruleTester(RULE, { valid, invalid: invalidCases });
