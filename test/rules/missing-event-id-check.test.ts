/**
 * missing-event-id-check (docs/rules/missing-event-id-check.md): an at-least-once consumer reaches a
 * duplicate-unsafe effect before its ack with no check on the message identity. Reported once,
 * on the handler's head, with each unprotected effect (and its call chain) as related locations.
 *
 * Cases cover kafkajs, amqplib and sqs-consumer; every case runs typed and untyped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MODES, TestProject, configWith, findingsOf } from '../helpers/project';
import { ruleTester } from '../helpers/rule-tester';
import { sqsDecoratedStore } from '../helpers/shared-fixtures';
import { lineOf } from '../helpers/lines';
import type { ResolvedConfig } from '../../server/src/config/resolved-config';

const RULE = 'missing-event-id-check';

/**
 * The order is loaded through a `.catch()` that wraps the error and rethrows: it is a catch like any
 * other, so the insert after it runs on the load's success path.
 */
const K_WRAPPING_CATCH = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ brokers: ['kafka:9092'] }).consumer({ groupId: 'shipping' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const orderId = String(message.key);
      const order = await pool.query('SELECT total FROM orders WHERE id = $1', [orderId]).catch((error) => {
        throw new Error(\`order \${orderId} could not be loaded: \${error}\`);
      });
      await pool.query('INSERT INTO shipments (total, created_at) VALUES ($1, now())', [order.rows[0].total]);
    },
  });
}
`;

// The same, around a library call nothing classifies (an S3 HEAD in a helper): the callback runs
// only when that call fails, so the insert after it still runs on the other side.
const L_UNSEEN_WORK_CATCH = `import type { SQSEvent } from 'aws-lambda';
import { S3Client, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Pool } from 'pg';

const pool = new Pool();
const s3 = new S3Client({});

async function checksumOf(key: string): Promise<string | undefined> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'uploads', Key: key })).catch((error) => {
    console.error(error);
    throw new Error(\`no metadata for \${key}\`);
  });
  return head.Metadata?.md5;
}

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    const body = JSON.parse(record.body);
    const md5 = await checksumOf(body.file);
    await pool.query('INSERT INTO receipts (submission, md5) VALUES ($1, $2)', [body.submissionId, md5]);
  }
};
`;

// One message at a time, taken by index, sent on to another queue, then deleted: a redrive when
// the queue it reads is a dead-letter queue.
const L_FORWARD_ONE = (
  from: string,
  to: string,
): string => `import { SQSClient, ReceiveMessageCommand, SendMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});
const ${from} = process.env.${from};
const ${to} = process.env.${to};

export async function forward(): Promise<void> {
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: ${from}, MaxNumberOfMessages: 1 }));
    if (!Messages) return;
    const message = Messages[0];
    await sqs.send(new SendMessageCommand({ QueueUrl: ${to}, MessageBody: message.Body }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: ${from}, ReceiptHandle: message.ReceiptHandle }));
  }
}
`;

// ---- shared project files ----------------------------------------------------------------

/** Prisma is not installed: this client is untyped in both modes. */
const PRISMA_DB = `import { PrismaClient } from '@prisma/client';

export const prisma = new PrismaClient();
`;

const LEDGER_SERVICE = `import { Pool } from 'pg';

const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export async function recordPayment(accountId: string, amountCents: number): Promise<void> {
  await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [accountId, amountCents]);
}
`;

// ============================================================================================
// kafkajs
// ============================================================================================

const K_RAW_INSERT = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const kafka = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'ledger-writer' });
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export async function run(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number };
      await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
    },
  });
}
`;

const K_PRISMA_INCREMENT = `import { Kafka } from 'kafkajs';
import { prisma } from './db';

const consumer = new Kafka({ clientId: 'analytics', brokers: ['kafka:9092'] }).consumer({ groupId: 'article-views' });

export async function start() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'article.viewed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const view = JSON.parse(message.value!.toString()) as { articleId: string };
      await prisma.article.update({ where: { id: view.articleId }, data: { views: { increment: 1 } } });
    },
  });
}
`;

const K_REDIS_INCR = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';

const kafka = new Kafka({ clientId: 'ads', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'click-counter' });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379');

export async function countClicks() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'ad.clicked' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const click = JSON.parse(message.value!.toString()) as { campaignId: string };
      await redis.incr(\`clicks:\${click.campaignId}\`);
    },
  });
}
`;

const K_FETCH_POST = `import { Kafka } from 'kafkajs';

const consumer = new Kafka({ clientId: 'crm-sync', brokers: ['kafka:9092'] }).consumer({ groupId: 'crm-sync' });

export async function syncSignups() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'user.signed-up' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const signup = JSON.parse(message.value!.toString()) as { email: string; plan: string };
      await fetch('https://crm.example.com/api/contacts', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signup),
      });
    },
  });
}
`;

const K_STRIPE_NO_KEY = `import { Kafka } from 'kafkajs';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');
const consumer = new Kafka({ clientId: 'payments', brokers: ['kafka:9092'] }).consumer({ groupId: 'charger' });

export async function chargeOrders() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'order.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { amountCents: number; stripeCustomerId: string };
      console.log(\`charging order from \${topic}/\${partition}\`);
      await stripe.charges.create({ amount: order.amountCents, currency: 'eur', customer: order.stripeCustomerId });
    },
  });
}
`;

const K_PRODUCER_SEND = `import { Kafka } from 'kafkajs';

const kafka = new Kafka({ clientId: 'enricher', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'order-enricher' });
const producer = kafka.producer();

export async function enrich() {
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic: 'orders.raw' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; country: string };
      const region = order.country === 'US' ? 'na' : 'eu';
      await producer.send({ topic: 'orders.enriched', messages: [{ value: JSON.stringify({ ...order, region }) }] });
    },
  });
}
`;

const K_APPEND_FILE = `import { Kafka } from 'kafkajs';
import { appendFile } from 'node:fs/promises';

const consumer = new Kafka({ clientId: 'auditor', brokers: ['kafka:9092'] }).consumer({ groupId: 'audit-trail' });

export async function writeAuditTrail() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'audit' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const entry = { at: message.timestamp, body: message.value?.toString() ?? '' };
      await appendFile('/var/log/audit/trail.ndjson', JSON.stringify(entry) + '\\n');
    },
  });
}
`;

const K_HELPER_OTHER_FILE = `import { Kafka } from 'kafkajs';
import { recordPayment } from './services/ledger';

const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });

export async function start() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.settled' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number };
      await recordPayment(payment.accountId, payment.amountCents);
    },
  });
}
`;

const K_RANDOM_UUID_GUARD = `import { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = new Kafka({ clientId: 'loyalty', brokers: ['kafka:9092'] }).consumer({ groupId: 'loyalty-points' });

export async function awardPoints() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'purchase.completed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const purchase = JSON.parse(message.value!.toString()) as { userId: string; points: number };
      const dedupKey = \`loyalty:\${randomUUID()}\`;
      if (await redis.exists(dedupKey)) return;
      await pool.query('UPDATE loyalty_accounts SET points = points + $1 WHERE user_id = $2', [purchase.points, purchase.userId]);
      await redis.set(dedupKey, '1', 'EX', 86400);
    },
  });
}
`;

const K_MESSAGE_ID_MODE = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });
const consumer = new Kafka({ clientId: 'mailer', brokers: ['kafka:9092'] }).consumer({ groupId: 'order-mails' });

export async function sendConfirmations() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'order.confirmed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { orderId: string; email: string };
      if (await redis.exists(\`order-mail:\${order.orderId}\`)) return;
      await mailer.sendMail({ from: 'shop@example.com', to: order.email, subject: 'Order confirmed', text: \`Order \${order.orderId} is confirmed\` });
      await redis.set(\`order-mail:\${order.orderId}\`, 'sent');
    },
  });
}
`;

const K_MANY_EFFECTS = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';

const kafka = new Kafka({ clientId: 'signup', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'signup-pipeline' });
const pool = new Pool();
const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });

export async function onboard() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'user.registered' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const user = JSON.parse(message.value!.toString()) as { email: string; referrer?: string };
      await pool.query('INSERT INTO welcome_credits (email, credits) VALUES ($1, $2)', [user.email, 500]);
      await redis.incr('stats:signups');
      await mailer.sendMail({ to: user.email, subject: 'Welcome!', text: 'Thanks for joining.' });
      await fetch('https://hooks.slack.example/signups', { method: 'POST', body: JSON.stringify({ text: user.email }) });
    },
  });
}
`;

const K_NAMED_HANDLER = `import { Kafka, EachMessagePayload } from 'kafkajs';
import Redis from 'ioredis';

const redis = new Redis();
const kafka = new Kafka({ clientId: 'inventory', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'stock-counter' });

async function handleStockReceived({ message }: EachMessagePayload): Promise<void> {
  const receipt = JSON.parse(message.value!.toString()) as { warehouse: string; sku: string; quantity: number };
  await redis.hincrby(\`stock:\${receipt.warehouse}\`, receipt.sku, receipt.quantity);
}

export async function start() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'stock.received' });
  await consumer.run({ eachMessage: handleStockReceived });
}
`;

const K_EACH_BATCH = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'metering', brokers: ['kafka:9092'] }).consumer({ groupId: 'meter-readings' });

export async function ingest() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'meter.readings' });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        const reading = JSON.parse(message.value!.toString()) as { meterId: string; kwh: number };
        await pool.query('INSERT INTO meter_readings (meter_id, kwh) VALUES ($1, $2)', [reading.meterId, reading.kwh]);
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}
`;

const K_AXIOS_INSTANCE_POST = `import { Kafka } from 'kafkajs';
import axios from 'axios';

const ledgerApi = axios.create({ baseURL: 'https://ledger.internal.example' });
const consumer = new Kafka({ clientId: 'ledger-bridge', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger-bridge' });

export async function bridge() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'refunds.issued' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const refund = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number };
      await ledgerApi.post('/entries', { ...refund, reference: \`\${topic}-\${partition}-\${message.offset}\` });
    },
  });
}
`;

// ---- kafkajs, valid ----

const K_REDIS_CLAIM = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger-writer' });

export async function run() {
  await consumer.connect();
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
`;

const K_INBOX_TX = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'wallet', brokers: ['kafka:9092'] }).consumer({ groupId: 'wallet-topups' });

export async function applyTopUps() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'wallet.topped-up' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const topUp = JSON.parse(message.value!.toString()) as { walletId: string; amountCents: number };
      const db = await pool.connect();
      try {
        await db.query('BEGIN');
        const { rowCount } = await db.query('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING', [\`\${topic}:\${partition}:\${message.offset}\`]);
        if (rowCount === 0) {
          await db.query('ROLLBACK');
          return;
        }
        await db.query('UPDATE wallets SET balance_cents = balance_cents + $1 WHERE id = $2', [topUp.amountCents, topUp.walletId]);
        await db.query('COMMIT');
      } catch (error) {
        await db.query('ROLLBACK');
        throw error;
      } finally {
        db.release();
      }
    },
  });
}
`;

const K_UPSERT_ONLY = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'customers', brokers: ['kafka:9092'] }).consumer({ groupId: 'customer-projection' });

export async function project() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'customer.updated' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const customer = JSON.parse(message.value!.toString()) as { id: string; email: string; name: string };
      await pool.query(
        'INSERT INTO customers (id, email, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name',
        [customer.id, customer.email, customer.name],
      );
    },
  });
}
`;

const K_FETCH_PUT = `import { Kafka } from 'kafkajs';

const consumer = new Kafka({ clientId: 'search-sync', brokers: ['kafka:9092'] }).consumer({ groupId: 'search-sync' });

export async function syncProducts() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'product.changed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const product = JSON.parse(message.value!.toString()) as { sku: string; title: string; priceCents: number };
      const response = await fetch(\`https://catalog.example.com/products/\${encodeURIComponent(product.sku)}\`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(product),
      });
      if (!response.ok) throw new Error(\`catalog returned \${response.status}\`);
    },
  });
}
`;

const K_BULLMQ_JOB_ID = `import { Kafka } from 'kafkajs';
import { Queue } from 'bullmq';

const thumbnails = new Queue('thumbnails', { connection: { host: 'redis', port: 6379 } });
const consumer = new Kafka({ clientId: 'media', brokers: ['kafka:9092'] }).consumer({ groupId: 'media-uploads' });

export async function scheduleThumbnails() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'image.uploaded' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const upload = JSON.parse(message.value!.toString()) as { imageId: string; bucket: string };
      await thumbnails.add('render', upload, { jobId: \`thumb-\${topic}-\${partition}-\${message.offset}\` });
    },
  });
}
`;

const K_IDEMPOTENT_TAG = `import { Kafka } from 'kafkajs';
import axios from 'axios';

const consumer = new Kafka({ clientId: 'warehouse', brokers: ['kafka:9092'] }).consumer({ groupId: 'warehouse-sync' });

export async function forwardShipments() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'shipment.created' });
  await consumer.run({
    /** @idempotent the warehouse API rejects a second shipment with the same shipmentId */
    eachMessage: async ({ message }) => {
      const shipment = JSON.parse(message.value!.toString()) as { shipmentId: string; lines: unknown[] };
      await axios.post('https://warehouse.example.com/v2/shipments', shipment);
    },
  });
}
`;

const K_SUPPRESSED_NEXT_LINE = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';

const redis = new Redis();
const consumer = new Kafka({ clientId: 'metrics', brokers: ['kafka:9092'] }).consumer({ groupId: 'page-views' });

export async function countViews() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'page.viewed' });
  await consumer.run({
    // delivery-lint-disable-next-line missing-event-id-check -- approximate counters, a double count is acceptable
    eachMessage: async ({ message }) => {
      const view = JSON.parse(message.value!.toString()) as { path: string };
      await redis.incr(\`views:\${view.path}\`);
    },
  });
}
`;

const K_REDIS_PROJECTION = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';

const redis = new Redis();
const consumer = new Kafka({ clientId: 'orders-view', brokers: ['kafka:9092'] }).consumer({ groupId: 'orders-view' });

export async function projectOrders() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'order.status-changed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; customerId: string; status: string; totalCents: number };
      await redis.hset(\`order:\${order.id}\`, 'status', order.status);
      await redis.sadd(\`customer-orders:\${order.customerId}\`, order.id);
      await redis.set(\`order-total:\${order.id}\`, String(order.totalCents));
      await redis.del(\`order-cache:\${order.id}\`);
    },
  });
}
`;

const K_HELPER_GUARD_FILE = `import Redis from 'ioredis';

const redis = new Redis();

export async function isProcessed(eventId: string): Promise<boolean> {
  return (await redis.exists(\`processed:\${eventId}\`)) === 1;
}

export async function markProcessed(eventId: string): Promise<void> {
  await redis.set(\`processed:\${eventId}\`, '1', 'EX', 7 * 86400);
}
`;

const K_HELPER_GUARD = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { isProcessed, markProcessed } from './dedup';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'invoicing', brokers: ['kafka:9092'] }).consumer({ groupId: 'invoicing' });

export async function invoice() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'subscription.renewed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const eventId = \`\${topic}:\${partition}:\${message.offset}\`;
      if (await isProcessed(eventId)) return;
      const renewal = JSON.parse(message.value!.toString()) as { subscriptionId: string; amountCents: number };
      await pool.query('INSERT INTO invoices (subscription_id, amount_cents) VALUES ($1, $2)', [renewal.subscriptionId, renewal.amountCents]);
      await markProcessed(eventId);
    },
  });
}
`;

/** The check-then-record runs in one element of a Promise.allSettled; the CRM POST in the other. */
const K_CONCURRENT_CHECK = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { isProcessed, markProcessed } from './dedup';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'leads', brokers: ['kafka:9092'] }).consumer({ groupId: 'leads' });

async function persistLead(eventId: string, email: string): Promise<void> {
  if (await isProcessed(eventId)) return;
  await pool.query('INSERT INTO leads (email) VALUES ($1)', [email]);
  await markProcessed(eventId);
}

export async function start() {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const eventId = \`\${topic}:\${partition}:\${message.offset}\`;
      const lead = JSON.parse(message.value!.toString()) as { email: string };
      await Promise.allSettled([
        fetch('https://crm.example.com/contacts', { method: 'POST', body: JSON.stringify(lead) }),
        persistLead(eventId, lead.email),
      ]);
    },
  });
}
`;

/** A per-item existence check that skips one tag with `continue`; the CRM POST runs before the loop. */
const K_ITEM_LOOP_CHECK = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'tags', brokers: ['kafka:9092'] }).consumer({ groupId: 'tags' });

export async function start() {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; tags: string[] };
      await fetch('https://crm.example.com/orders', { method: 'POST', body: JSON.stringify(order) });
      for (const tag of order.tags) {
        const found = await pool.query('SELECT 1 FROM order_tags WHERE order_id = $1 AND tag = $2', [order.id, tag]);
        if (found.rowCount) continue;
        await pool.query('INSERT INTO order_tags (order_id, tag) VALUES ($1, $2)', [order.id, tag]);
      }
    },
  });
}
`;

const K_DYNAMO_PUT_KEYED = `import { Kafka } from 'kafkajs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const consumer = new Kafka({ clientId: 'profiles', brokers: ['kafka:9092'] }).consumer({ groupId: 'profiles' });

export async function storeProfiles() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'profile.created' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const profile = JSON.parse(message.value!.toString()) as { id: string; displayName: string };
      await documents.send(new PutCommand({ TableName: 'profiles', Item: { id: profile.id, displayName: profile.displayName } }));
    },
  });
}
`;

const K_CLAIM_THEN_BRANCH = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = new Kafka({ clientId: 'points', brokers: ['kafka:9092'] }).consumer({ groupId: 'review-points' });

export async function rewardReviews() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'review.published' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const claimed = await redis.set(\`review-points:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 600, 'NX');
      if (claimed === 'OK') {
        const review = JSON.parse(message.value!.toString()) as { authorId: string };
        await pool.query('UPDATE authors SET points = points + 10 WHERE id = $1', [review.authorId]);
      }
    },
  });
}
`;

// ============================================================================================
// amqplib
// ============================================================================================

const A_RELATIVE_UPDATE = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function consumeDeposits(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.assertQueue('deposits', { durable: true });
  await channel.consume('deposits', async (msg) => {
    if (!msg) return;
    const deposit = JSON.parse(msg.content.toString()) as { accountId: string; amount: number };
    await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [deposit.amount, deposit.accountId]);
    channel.ack(msg);
  });
}
`;

const A_MONGO_INSERT = `import amqp from 'amqplib';
import { MongoClient } from 'mongodb';

const mongo = new MongoClient(process.env.MONGO_URL ?? 'mongodb://localhost:27017');
const auditLog = mongo.db('audit').collection('user_events');

export async function consumeUserEvents() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('user-events', async (msg) => {
    if (!msg) return;
    const event = JSON.parse(msg.content.toString()) as { type: string; userId: string };
    await auditLog.insertOne({ type: event.type, userId: event.userId, receivedAt: new Date() });
    channel.ack(msg);
  });
}
`;

const A_REDIS_LPUSH = `import amqp from 'amqplib';
import Redis from 'ioredis';

const redis = new Redis();

export async function fanOutPosts() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.prefetch(20);
  await channel.consume('posts.published', async (msg) => {
    if (!msg) return;
    const post = JSON.parse(msg.content.toString()) as { authorId: string; postId: string };
    await redis.lpush(\`feed:\${post.authorId}\`, post.postId);
    channel.ack(msg);
  });
}
`;

const A_AXIOS_POST = `import amqp from 'amqplib';
import axios from 'axios';

export async function notifyPartner() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('shipments', async (msg) => {
    if (msg === null) return;
    const shipment = JSON.parse(msg.content.toString()) as { id: string; status: string };
    await axios.post('https://hooks.partner.example/shipments', { shipmentId: shipment.id, status: shipment.status });
    channel.ack(msg);
  });
}
`;

const A_STRIPE_RANDOM_KEY = `import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export async function processRefunds() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('refunds', async (msg) => {
    if (!msg) return;
    const refund = JSON.parse(msg.content.toString()) as { paymentIntentId: string; amountCents: number };
    await stripe.refunds.create({ payment_intent: refund.paymentIntentId, amount: refund.amountCents }, { idempotencyKey: randomUUID() });
    channel.ack(msg);
  });
}
`;

const A_CHANNEL_PUBLISH = `import amqp from 'amqplib';

export async function routeSignups() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.assertExchange('notifications', 'topic', { durable: true });
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const user = JSON.parse(msg.content.toString()) as { id: string; email: string };
    channel.publish('notifications', 'email.welcome', Buffer.from(JSON.stringify({ userId: user.id, email: user.email })), { persistent: true });
    channel.ack(msg);
  });
}
`;

const A_SEND_TO_QUEUE = `import amqp from 'amqplib';

export async function splitOrders() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.assertQueue('picking', { durable: true });
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { id: string; lines: { sku: string }[] };
    for (const line of order.lines) {
      channel.sendToQueue('picking', Buffer.from(JSON.stringify({ orderId: order.id, sku: line.sku })), { persistent: true });
    }
    channel.ack(msg);
  });
}
`;

const A_REPOSITORY_FILE = `import { Pool } from 'pg';

const pool = new Pool();

export async function insertOrder(customerId: string, totalCents: number): Promise<void> {
  await pool.query('INSERT INTO orders (customer_id, total_cents) VALUES ($1, $2)', [customerId, totalCents]);
}
`;

const A_SERVICE_FILE = `import { insertOrder } from '../repositories/orders';

export class OrderService {
  async place(order: { customerId: string; totalCents: number }): Promise<void> {
    if (order.totalCents <= 0) throw new Error('empty order');
    await insertOrder(order.customerId, order.totalCents);
  }
}
`;

const A_TWO_LEVEL_HELPER = `import amqp from 'amqplib';
import { OrderService } from './services/order-service';

const orders = new OrderService();

export async function consumeCheckouts() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('checkouts', async (msg) => {
    if (!msg) return;
    const checkout = JSON.parse(msg.content.toString()) as { customerId: string; totalCents: number };
    await orders.place(checkout);
    channel.ack(msg);
  });
}
`;

const A_DATE_NOW_GUARD = `import amqp from 'amqplib';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();

export async function consumeInvoices() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('invoices', async (msg) => {
    if (!msg) return;
    const invoice = JSON.parse(msg.content.toString()) as { customerId: string; totalCents: number };
    const claimed = await redis.set(\`invoice:\${invoice.customerId}:\${Date.now()}\`, '1', 'EX', 3600, 'NX');
    if (!claimed) {
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO invoices (customer_id, total_cents) VALUES ($1, $2)', [invoice.customerId, invoice.totalCents]);
    channel.ack(msg);
  });
}
`;

const A_DYNAMO_SET_PLUS = `import amqp from 'amqplib';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));

export async function consumeVotes() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('votes', async (msg) => {
    if (!msg) return;
    const vote = JSON.parse(msg.content.toString()) as { pollId: string };
    await documents.send(
      new UpdateCommand({
        TableName: 'polls',
        Key: { pollId: vote.pollId },
        UpdateExpression: 'SET votes = votes + :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    channel.ack(msg);
  });
}
`;

const A_IN_MEMORY_MAP = `import amqp from 'amqplib';
import nodemailer from 'nodemailer';

const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });
const recentlySent = new Map<string, number>();

export async function consumeReminders() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('reminders', async (msg) => {
    if (!msg) return;
    const id = String(msg.properties.messageId);
    if (recentlySent.has(id)) {
      channel.ack(msg);
      return;
    }
    recentlySent.set(id, Date.now());
    const reminder = JSON.parse(msg.content.toString()) as { email: string; text: string };
    await mailer.sendMail({ to: reminder.email, subject: 'Reminder', text: reminder.text });
    channel.ack(msg);
  });
}
`;

// ---- amqplib, valid ----

const A_EXISTS_GUARD = `import amqp from 'amqplib';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();

export async function consumePayments() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('payments', async (msg) => {
    if (!msg) return;
    const id = msg.properties.messageId as string;
    if (await redis.exists(\`evt:\${id}\`)) {
      channel.ack(msg);
      return;
    }
    const payment = JSON.parse(msg.content.toString()) as { accountId: string; amountCents: number };
    await pool.query('INSERT INTO payments (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
    await redis.set(\`evt:\${id}\`, '1', 'EX', 86400);
    channel.ack(msg);
  });
}
`;

const A_UNIQUE_VIOLATION_CLAIM = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function consumeShipments() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('shipments', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO processed_messages (message_id) VALUES ($1)', [msg.properties.messageId]);
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      channel.ack(msg);
      return;
    }
    const shipment = JSON.parse(msg.content.toString()) as { orderId: string; carrier: string };
    await pool.query('INSERT INTO shipments (order_id, carrier) VALUES ($1, $2)', [shipment.orderId, shipment.carrier]);
    channel.ack(msg);
  });
}
`;

const A_ABSOLUTE_UPDATE = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function consumeStatusChanges() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('order-status', async (msg) => {
    if (!msg) return;
    const change = JSON.parse(msg.content.toString()) as { orderId: string; status: string };
    await pool.query('UPDATE orders SET status = $1, updated_at = now() WHERE id = $2', [change.status, change.orderId]);
    await pool.query('DELETE FROM order_locks WHERE order_id = $1', [change.orderId]);
    channel.ack(msg);
  });
}
`;

const A_GET_AND_REDIS_WRITES = `import amqp from 'amqplib';
import axios from 'axios';
import Redis from 'ioredis';

const redis = new Redis();

export async function consumeLogins() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('user.logged-in', async (msg) => {
    if (!msg) return;
    const login = JSON.parse(msg.content.toString()) as { userId: string };
    const { data } = await axios.get<{ plan: string }>(\`https://accounts.example.com/users/\${login.userId}\`);
    await redis.hset(\`user:\${login.userId}\`, 'plan', data.plan);
    await redis.sadd('active-users', login.userId);
    await redis.set(\`last-login:\${login.userId}\`, new Date().toISOString());
    channel.ack(msg);
  });
}
`;

const A_ACK_FIRST = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function consumeAudit() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('audit', async (msg) => {
    if (!msg) return;
    channel.ack(msg);
    await pool.query('INSERT INTO audit_log (payload) VALUES ($1)', [msg.content.toString()]);
  });
}
`;

const A_NO_ACK = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function consumeTelemetry() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume(
    'telemetry',
    async (msg) => {
      if (!msg) return;
      const sample = JSON.parse(msg.content.toString()) as { deviceId: string; celsius: number };
      await pool.query('INSERT INTO temperature_samples (device_id, celsius) VALUES ($1, $2)', [sample.deviceId, sample.celsius]);
    },
    { noAck: true },
  );
}
`;

const A_FILE_DISABLE = `/* delivery-lint-disable missing-event-id-check */
import amqp from 'amqplib';
import Redis from 'ioredis';

const redis = new Redis();

export async function consumeImpressions() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('impressions', async (msg) => {
    if (!msg) return;
    const impression = JSON.parse(msg.content.toString()) as { adId: string };
    await redis.incr(\`impressions:\${impression.adId}\`);
    channel.ack(msg);
  });
}
`;

const A_LOGGING_ONLY = `import amqp from 'amqplib';
import { StatsD } from 'hot-shots';

const metrics = new StatsD({ prefix: 'orders.' });

export async function consumeHeartbeats() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('heartbeats', async (msg) => {
    if (!msg) return;
    const beat = JSON.parse(msg.content.toString()) as { service: string; latencyMs: number };
    console.log(\`heartbeat from \${beat.service}\`);
    metrics.timing('heartbeat.latency', beat.latencyMs);
    metrics.increment('heartbeat.received');
    channel.ack(msg);
  });
}
`;

const A_NODE_REDIS_NX = `import amqp from 'amqplib';
import { createClient } from 'redis';
import { Pool } from 'pg';

const redis = createClient({ url: process.env.REDIS_URL });
const pool = new Pool();

export async function consumeTransfers() {
  await redis.connect();
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('transfers', async (msg) => {
    if (!msg) return;
    const key = \`claim:\${msg.properties.messageId}\`;
    const claimed = await redis.set(key, 'processing', { NX: true, EX: 300 });
    if (claimed !== 'OK') {
      channel.ack(msg);
      return;
    }
    try {
      const transfer = JSON.parse(msg.content.toString()) as { from: string; to: string; cents: number };
      await pool.query('INSERT INTO transfers (from_account, to_account, cents) VALUES ($1, $2, $3)', [transfer.from, transfer.to, transfer.cents]);
    } catch (error) {
      await redis.del(key);
      throw error;
    }
    await redis.set(key, 'done', { EX: 604800 });
    channel.ack(msg);
  });
}
`;

const A_CONFLICT_INSERT = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function consumeRegistrations() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('registrations', async (msg) => {
    if (!msg) return;
    const registration = JSON.parse(msg.content.toString()) as { eventId: string; attendeeEmail: string };
    await pool.query('INSERT INTO registrations (id, event_id, attendee_email) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [
      msg.properties.messageId,
      registration.eventId,
      registration.attendeeEmail,
    ]);
    channel.ack(msg);
  });
}
`;

const A_STRIPE_MESSAGE_KEY = `import amqp from 'amqplib';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export async function consumePayouts() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('payouts', async (msg) => {
    if (!msg) return;
    const payout = JSON.parse(msg.content.toString()) as { connectedAccount: string; amountCents: number };
    await stripe.transfers.create(
      { amount: payout.amountCents, currency: 'eur', destination: payout.connectedAccount },
      { idempotencyKey: \`payout-\${msg.properties.messageId}\` },
    );
    channel.ack(msg);
  });
}
`;

// ============================================================================================
// sqs-consumer
// ============================================================================================

const S_PRISMA_CREATE = `import { Consumer } from 'sqs-consumer';
import { prisma } from './db';

export const invoiceConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/invoices',
  handleMessage: async (message) => {
    const invoice = JSON.parse(message.Body ?? '{}') as { customerId: string; totalCents: number };
    await prisma.invoice.create({ data: { customerId: invoice.customerId, totalCents: invoice.totalCents } });
    return message;
  },
});
`;

const S_MONGO_INC = `import { Consumer } from 'sqs-consumer';
import { MongoClient } from 'mongodb';

const usage = new MongoClient('mongodb://mongo:27017').db('billing').collection('usage');

export const usageConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/api-usage',
  handleMessage: async (message) => {
    const report = JSON.parse(message.Body ?? '{}') as { tenantId: string; calls: number };
    await usage.updateOne({ tenantId: report.tenantId }, { $inc: { apiCalls: report.calls } }, { upsert: true });
    return message;
  },
});
`;

const S_DYNAMO_ADD = `import { Consumer } from 'sqs-consumer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const reservations = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/stock-reservations',
  handleMessage: async (message) => {
    const item = JSON.parse(message.Body ?? '{}') as { sku: string; quantity: number };
    await documents.send(
      new UpdateCommand({
        TableName: 'inventory',
        Key: { sku: item.sku },
        UpdateExpression: 'ADD reserved :qty',
        ExpressionAttributeValues: { ':qty': item.quantity },
      }),
    );
    return message;
  },
});
`;

const S_SEND_MAIL = `import { Consumer } from 'sqs-consumer';
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    const receipt = JSON.parse(message.Body ?? '{}') as { email: string; totalCents: number };
    await transporter.sendMail({
      from: 'billing@example.com',
      to: receipt.email,
      subject: 'Your receipt',
      text: \`Total: \${(receipt.totalCents / 100).toFixed(2)} EUR\`,
    });
    return message;
  },
});
`;

const S_KAFKA_BRIDGE = `import { Consumer } from 'sqs-consumer';
import { Kafka } from 'kafkajs';

const producer = new Kafka({ clientId: 'sqs-bridge', brokers: ['kafka:9092'] }).producer();

export const bridge = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/legacy-events',
  handleMessage: async (message) => {
    await producer.send({ topic: 'legacy.events', messages: [{ value: message.Body ?? '' }] });
    return message;
  },
});
`;

const S_SQS_SEND = `import { Consumer } from 'sqs-consumer';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({ region: 'eu-west-1' });

export const fulfilment = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/paid-orders',
  sqs,
  handleMessage: async (message) => {
    const order = JSON.parse(message.Body ?? '{}') as { orderId: string; warehouse: string };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shipping',
        MessageBody: JSON.stringify({ orderId: order.orderId, warehouse: order.warehouse }),
      }),
    );
    return message;
  },
});
`;

const S_BILLING_FILE = `import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export async function chargeCustomer(customerId: string, amountCents: number) {
  return stripe.paymentIntents.create({ amount: amountCents, currency: 'usd', customer: customerId, confirm: true });
}
`;

const S_HELPER_STRIPE = `import { Consumer } from 'sqs-consumer';
import { chargeCustomer } from './billing';

export const renewals = Consumer.create({
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/renewals',
  handleMessage: async (message) => {
    const renewal = JSON.parse(message.Body ?? '{}') as { customerId: string; priceCents: number };
    const intent = await chargeCustomer(renewal.customerId, renewal.priceCents);
    console.log(\`renewal charged: \${intent.id}\`);
    return message;
  },
});
`;

const S_IN_MEMORY_SET = `import { Consumer } from 'sqs-consumer';
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });
const seen = new Set<string>();

export const welcomeMails = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/welcome-mails',
  handleMessage: async (message) => {
    if (seen.has(message.MessageId!)) return message;
    seen.add(message.MessageId!);
    const user = JSON.parse(message.Body ?? '{}') as { email: string };
    await transporter.sendMail({ to: user.email, subject: 'Welcome', text: 'Glad to have you.' });
    return message;
  },
});
`;

const S_KNEX_INSERT = `import { Consumer } from 'sqs-consumer';
import knexFactory from 'knex';

const db = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL });

export const shipments = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shipment-labels',
  handleMessage: async (message) => {
    const label = JSON.parse(message.Body ?? '{}') as { orderId: string; carrier: string };
    await db('shipment_labels').insert({ order_id: label.orderId, carrier: label.carrier });
    return message;
  },
});
`;

const S_NEW_CONSUMER_PATCH = `import { Consumer } from 'sqs-consumer';
import axios from 'axios';

const consumer = new Consumer({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/loyalty-adjustments',
  handleMessage: async (message) => {
    const adjustment = JSON.parse(message.Body ?? '{}') as { memberId: string; delta: number };
    await axios.patch(\`https://loyalty.example.com/members/\${adjustment.memberId}/points\`, { delta: adjustment.delta });
    return message;
  },
});

consumer.start();
`;

const S_BATCH_XADD = `import { Consumer } from 'sqs-consumer';
import Redis from 'ioredis';

const redis = new Redis();

export const activity = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/activity',
  batchSize: 10,
  handleMessageBatch: async (messages) => {
    for (const message of messages) {
      await redis.xadd('activity-stream', '*', 'body', message.Body ?? '');
    }
    return messages;
  },
});
`;

// ---- sqs-consumer, valid ----

const S_PRISMA_INBOX_CHECK = `import { Consumer } from 'sqs-consumer';
import { prisma } from './db';

export const invoiceConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/invoices',
  handleMessage: async (message) => {
    const seen = await prisma.processedEvent.findUnique({ where: { messageId: message.MessageId } });
    if (seen) return message;
    const invoice = JSON.parse(message.Body ?? '{}') as { customerId: string; totalCents: number };
    await prisma.invoice.create({ data: { customerId: invoice.customerId, totalCents: invoice.totalCents } });
    await prisma.processedEvent.create({ data: { messageId: message.MessageId! } });
    return message;
  },
});
`;

const S_BUSINESS_KEY_GUARD = `import { Consumer } from 'sqs-consumer';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });

export const confirmations = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/order-confirmations',
  handleMessage: async (message) => {
    const order = JSON.parse(message.Body ?? '{}') as { orderId: string; email: string };
    if (await redis.exists(\`order-confirmation:\${order.orderId}\`)) return message;
    await transporter.sendMail({ to: order.email, subject: 'Order confirmed', text: \`Order \${order.orderId}\` });
    await redis.set(\`order-confirmation:\${order.orderId}\`, 'sent');
    return message;
  },
});
`;

const S_DELETE_ONLY = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const cartCleanup = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/cart-expired',
  handleMessage: async (message) => {
    const { cartId } = JSON.parse(message.Body ?? '{}') as { cartId: string };
    await pool.query('DELETE FROM cart_items WHERE cart_id = $1', [cartId]);
    await pool.query('DELETE FROM carts WHERE id = $1', [cartId]);
    return message;
  },
});
`;

const S_STRIPE_MESSAGE_KEY = `import { Consumer } from 'sqs-consumer';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export const charges = Consumer.create({
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/charges',
  handleMessage: async (message) => {
    const charge = JSON.parse(message.Body ?? '{}') as { customerId: string; amountCents: number };
    await stripe.paymentIntents.create(
      { amount: charge.amountCents, currency: 'usd', customer: charge.customerId, confirm: true },
      { idempotencyKey: \`charge-\${message.MessageId}\` },
    );
    return message;
  },
});
`;

const S_FIFO_DEDUP_ID = `import { Consumer } from 'sqs-consumer';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({ region: 'eu-west-1' });

export const router = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-in',
  handleMessage: async (message) => {
    const order = JSON.parse(message.Body ?? '{}') as { customerId: string };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fulfilment.fifo',
        MessageBody: message.Body ?? '',
        MessageGroupId: order.customerId,
        MessageDeduplicationId: message.MessageId,
      }),
    );
    return message;
  },
});
`;

const S_AT_MOST_ONCE_TAG = `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import Redis from 'ioredis';

const redis = new Redis();

/** @delivery at-most-once */
async function trackPageView(message: Message): Promise<Message> {
  const view = JSON.parse(message.Body ?? '{}') as { path: string };
  await redis.incr(\`page-views:\${view.path}\`);
  return message;
}

export const pageViews = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/page-views',
  handleMessage: trackPageView,
});
`;

const S_DEDUP_LIBRARY_FILE = `import { DedupClient } from '@acme/dedup-service';

const dedup = new DedupClient({ namespace: 'invoices' });

export async function isDuplicate(messageId: string): Promise<boolean> {
  return dedup.checkAndRemember(messageId);
}
`;

const S_CONFIGURED_GUARD = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';
import { isDuplicate } from './dedup';

const pool = new Pool();

export const invoices = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/invoice-lines',
  handleMessage: async (message) => {
    if (await isDuplicate(message.MessageId!)) return message;
    const line = JSON.parse(message.Body ?? '{}') as { invoiceId: string; amountCents: number };
    await pool.query('INSERT INTO invoice_lines (invoice_id, amount_cents) VALUES ($1, $2)', [line.invoiceId, line.amountCents]);
    return message;
  },
});
`;

const S_PUT_AND_DELETE = `import { Consumer } from 'sqs-consumer';
import axios from 'axios';

export const mirror = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/document-changes',
  handleMessage: async (message) => {
    const change = JSON.parse(message.Body ?? '{}') as { documentId: string; deleted: boolean; content?: string };
    if (change.deleted) {
      await axios.delete(\`https://mirror.example.com/documents/\${change.documentId}\`);
    } else {
      await axios.put(\`https://mirror.example.com/documents/\${change.documentId}\`, { content: change.content });
    }
    return message;
  },
});
`;

const S_MONGO_SET = `import { Consumer } from 'sqs-consumer';
import { MongoClient } from 'mongodb';

const profiles = new MongoClient('mongodb://mongo:27017').db('app').collection('profiles');

export const profileSync = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/profile-changes',
  handleMessage: async (message) => {
    const profile = JSON.parse(message.Body ?? '{}') as { userId: string; displayName: string; avatarUrl: string };
    await profiles.updateOne({ userId: profile.userId }, { $set: { displayName: profile.displayName, avatarUrl: profile.avatarUrl } }, { upsert: true });
    return message;
  },
});
`;

const S_PARSE_AND_LOG = `import { Consumer } from 'sqs-consumer';

export const inspector = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/debug-tap',
  handleMessage: async (message) => {
    const body = JSON.parse(message.Body ?? '{}') as { type?: string };
    console.info(\`[debug-tap] \${message.MessageId} \${body.type ?? 'unknown'}\`);
    return message;
  },
});
`;

// ---- more edge cases ----

const K_METER_EVENT_IDENTIFIER = `import { Kafka } from 'kafkajs';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');
const consumer = new Kafka({ clientId: 'metering', brokers: ['kafka:9092'] }).consumer({ groupId: 'usage-billing' });

export async function reportUsage() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'api.calls' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const call = JSON.parse(message.value!.toString()) as { stripeCustomerId: string; units: number };
      await stripe.billing.meterEvents.create({
        event_name: 'api_calls',
        payload: { stripe_customer_id: call.stripeCustomerId, value: String(call.units) },
        identifier: \`\${topic}-\${partition}-\${message.offset}\`,
      });
    },
  });
}
`;

const K_HEADER_GUARD = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] }).consumer({ groupId: 'order-writer' });

export async function writeOrders() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'order.submitted' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const eventId = message.headers?.['event-id']?.toString();
      if (!eventId || (await redis.exists(\`seen:\${eventId}\`))) return;
      const order = JSON.parse(message.value!.toString()) as { customerId: string; totalCents: number };
      await pool.query('INSERT INTO orders (customer_id, total_cents) VALUES ($1, $2)', [order.customerId, order.totalCents]);
      await redis.set(\`seen:\${eventId}\`, '1', 'EX', 86400);
    },
  });
}
`;

const K_EXPLICIT_COMMIT = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'stock', brokers: ['kafka:9092'] }).consumer({ groupId: 'stock-movements' });

export async function applyMovements() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'stock.moved' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const movement = JSON.parse(message.value!.toString()) as { sku: string; delta: number };
      await pool.query('UPDATE stock SET on_hand = on_hand + $1 WHERE sku = $2', [movement.delta, movement.sku]);
      await consumer.commitOffsets([{ topic, partition, offset: (Number(message.offset) + 1).toString() }]);
    },
  });
}
`;

const A_COUNTER_GUARD = `import amqp from 'amqplib';
import Redis from 'ioredis';

const redis = new Redis();
let received = 0;

export async function consumeScores() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('scores', async (msg) => {
    if (!msg) return;
    received += 1;
    if (await redis.exists(\`score-event:\${received}\`)) {
      channel.ack(msg);
      return;
    }
    const score = JSON.parse(msg.content.toString()) as { playerId: string; points: number };
    await redis.zincrby('leaderboard', score.points, score.playerId);
    await redis.set(\`score-event:\${received}\`, '1');
    channel.ack(msg);
  });
}
`;

const S_IDEMPOTENCY_HEADER = `import { Consumer } from 'sqs-consumer';

export const webhooks = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/partner-webhooks',
  handleMessage: async (message) => {
    const response = await fetch('https://partner.example.com/v1/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': message.MessageId! },
      body: message.Body,
    });
    if (!response.ok) throw new Error(\`partner returned \${response.status}\`);
    return message;
  },
});
`;

const S_PROMISE_ALL = `import { Consumer } from 'sqs-consumer';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });

export const alerts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/price-alerts',
  handleMessage: async (message) => {
    const alert = JSON.parse(message.Body ?? '{}') as { email: string; sku: string; priceCents: number };
    await Promise.all([
      transporter.sendMail({ to: alert.email, subject: 'Price drop', text: \`\${alert.sku} is now \${alert.priceCents / 100}\` }),
      redis.incr(\`alerts-sent:\${alert.sku}\`),
    ]);
    return message;
  },
});
`;

const K_LOG_ONLY_CHECK = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = new Kafka({ clientId: 'bookings', brokers: ['kafka:9092'] }).consumer({ groupId: 'bookings' });

export async function book() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'booking.requested' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const eventId = \`\${topic}:\${partition}:\${message.offset}\`;
      if (await redis.exists(\`booking-seen:\${eventId}\`)) {
        console.warn(\`booking event \${eventId} seen before, processing it again\`);
      }
      const booking = JSON.parse(message.value!.toString()) as { roomId: string; night: string };
      await pool.query('INSERT INTO bookings (room_id, night) VALUES ($1, $2)', [booking.roomId, booking.night]);
      await redis.set(\`booking-seen:\${eventId}\`, '1');
    },
  });
}
`;

const K_EFFECT_BEFORE_GUARD = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = new Kafka({ clientId: 'audit', brokers: ['kafka:9092'] }).consumer({ groupId: 'audit-and-bill' });

export async function auditAndBill() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'usage.recorded' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const usage = JSON.parse(message.value!.toString()) as { tenantId: string; units: number };
      await pool.query('INSERT INTO usage_audit (tenant_id, units) VALUES ($1, $2)', [usage.tenantId, usage.units]);
      const key = \`billed:\${topic}:\${partition}:\${message.offset}\`;
      const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');
      if (!claimed) return;
      try {
        await pool.query('UPDATE tenants SET units_used = units_used + $1 WHERE id = $2', [usage.units, usage.tenantId]);
      } catch (error) {
        await redis.del(key);
        throw error;
      }
      await redis.set(key, 'done', 'EX', 604800);
    },
  });
}
`;

const K_MESSAGE_KEY_GUARD = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';

const redis = new Redis();
const consumer = new Kafka({ clientId: 'scores', brokers: ['kafka:9092'] }).consumer({ groupId: 'scores' });

export async function tallyScores() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'match.finished' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? '';
      const claimed = await redis.set(\`match-scored:\${key}\`, '1', 'EX', 86400, 'NX');
      if (!claimed) return;
      const result = JSON.parse(message.value!.toString()) as { winnerId: string };
      await redis.zincrby('wins', 1, result.winnerId);
    },
  });
}
`;

const K_MESSAGE_ID_MODE_PAYLOAD_ID = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });
const consumer = new Kafka({ clientId: 'mailer', brokers: ['kafka:9092'] }).consumer({ groupId: 'shipping-mails' });

export async function sendShippingMails() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'order.shipped' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; email: string };
      if (await redis.exists(\`shipping-mail:\${order.id}\`)) return;
      await mailer.sendMail({ from: 'shop@example.com', to: order.email, subject: 'Shipped', text: \`Order \${order.id} is on its way\` });
      await redis.set(\`shipping-mail:\${order.id}\`, 'sent');
    },
  });
}
`;

const K_BATCH_GUARD = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = new Kafka({ clientId: 'metering', brokers: ['kafka:9092'] }).consumer({ groupId: 'meter-readings' });

export async function ingest() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'meter.readings' });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        const key = \`reading:\${batch.topic}:\${batch.partition}:\${message.offset}\`;
        if (await redis.exists(key)) {
          resolveOffset(message.offset);
          continue;
        }
        const reading = JSON.parse(message.value!.toString()) as { meterId: string; kwh: number };
        await pool.query('INSERT INTO meter_readings (meter_id, kwh) VALUES ($1, $2)', [reading.meterId, reading.kwh]);
        await redis.set(key, '1', 'EX', 7 * 86400);
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}
`;

const S_REFUND_HANDLER_FILE = `import type { Message } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export async function handleRefund(message: Message): Promise<Message> {
  const refund = JSON.parse(message.Body ?? '{}') as { chargeId: string; amountCents: number };
  await stripe.refunds.create({ charge: refund.chargeId, amount: refund.amountCents });
  return message;
}
`;

const S_IMPORTED_HANDLER = `import { Consumer } from 'sqs-consumer';
import { handleRefund } from './handlers/refund';

export const refunds = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/refunds',
  handleMessage: handleRefund,
});
`;

const S_DECORATED_STATE_UNKEYED = sqsDecoratedStore('server.app.uploads.findUpload(server.app.currentUploadId)');
const S_DECORATED_STATE_UNRECORDED = sqsDecoratedStore(undefined, 'upload.callbackStatus = response.status;').replace(
  'await fetch(',
  'const response = await fetch(',
);

/**
 * A kafkajs handler whose account is loaded into a \`let\` declared empty, then changed under
 * another name and saved: \`change\` is the change (relative to what was loaded, or not).
 */
const K_LOADED_LET = (change: string) => `import { Kafka } from 'kafkajs';
import { DataTypes, Model, Sequelize } from 'sequelize';

const sequelize = new Sequelize('postgres://db/ledger');

class Account extends Model {
  declare id: string;
  declare balance: number;
  declare tier: string;
}
Account.init({ id: { type: DataTypes.STRING, primaryKey: true }, balance: DataTypes.INTEGER, tier: DataTypes.STRING }, { sequelize });

const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const deposit = JSON.parse(message.value!.toString()) as { accountId: string; amount: number };
      let found: Account | null = null;
      try {
        found = await Account.findByPk(deposit.accountId);
      } catch (error) {
        console.error('lookup failed', error);
        throw error;
      }
      if (!found) return;
      const account = found;
      ${change}
      await account.save();
    },
  });
}
`;

/**
 * A lock, not a dedup: the SET NX key is deleted in a \`finally\`, on success too, so a redelivery
 * after the release takes it again and repeats the insert. \`release\` is the finally's call.
 */
const K_REDIS_LOCK = (release: string) => `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger-writer' });

async function releaseLock(client: Redis, key: string, token: string): Promise<void> {
  if ((await client.get(key)) === token) await client.del(key);
}

export async function run() {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number };
      const key = \`lock:account:\${payment.accountId}\`;
      const token = String(Date.now());
      const locked = await redis.set(key, token, 'PX', 30000, 'NX');
      if (!locked) throw new Error('account busy, retry later');
      try {
        await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
      } finally {
        ${release};
      }
    },
  });
}
`;

ruleTester(RULE, {
  valid: [
    {
      // On the side that skips the ack, whether the message is settled at all is the caller's
      // configuration (an auto-ack consumer is never redelivered): no duplicate is judged there.
      name: 'amqplib: a publish after an ack the caller configures (if (options.ack) channel.ack(msg)) is not judged for duplicates on the side without the ack',
      code: `import amqp from 'amqplib';

export interface Processor {
  queue: string;
  options: { ack: boolean };
  process(order: { id: string }): Promise<{ invoiceId: string } | undefined>;
}

export async function start(processor: Processor): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume(processor.queue, async (msg) => {
    if (!msg) return;
    const result = await processor.process(JSON.parse(msg.content.toString()));
    if (processor.options.ack) channel.ack(msg);
    if (result) channel.publish('billing', 'invoice.created', Buffer.from(JSON.stringify(result)), { messageId: result.invoiceId });
  });
}
`,
    },
    {
      // A consumer of the dead-letter queue sends each message back to the queue it came from.
      name: 'client-sqs: a redrive of the dead-letter queue (receive there, send to the main queue, delete) is failure routing',
      code: L_FORWARD_ONE('ORDERS_DLQ_URL', 'ORDERS_QUEUE_URL'),
    },
    {
      name: 'sequelize: a loaded account (let declared empty) given an absolute value and saved is an idempotent update',
      code: K_LOADED_LET("account.tier = 'gold';"),
    },
    // ---- kafkajs ----
    {
      name: 'kafkajs: Redis SET NX EX claim on topic/partition/offset, checked, released on failure',
      code: K_REDIS_CLAIM,
    },
    {
      name: 'kafkajs: inbox INSERT … ON CONFLICT DO NOTHING with rowCount checked in one transaction',
      code: K_INBOX_TX,
    },
    { name: 'kafkajs: upsert only (INSERT … ON CONFLICT DO UPDATE)', code: K_UPSERT_ONLY },
    { name: 'kafkajs: HTTP PUT only', code: K_FETCH_PUT },
    { name: 'kafkajs: BullMQ add with jobId from the offset', code: K_BULLMQ_JOB_ID },
    { name: 'kafkajs: @idempotent JSDoc on the eachMessage property', code: K_IDEMPOTENT_TAG },
    { name: 'kafkajs: delivery-lint-disable-next-line above the handler head', code: K_SUPPRESSED_NEXT_LINE },
    { name: 'kafkajs: Redis hset/sadd/set/del projection only', code: K_REDIS_PROJECTION },
    {
      name: 'kafkajs: check-then-record guard in helpers of another file',
      code: K_HELPER_GUARD,
      files: { 'dedup.ts': K_HELPER_GUARD_FILE },
    },
    { name: 'kafkajs: DynamoDB PutCommand keyed by the payload id', code: K_DYNAMO_PUT_KEYED },
    { name: "kafkajs: effects inside `if (claimed === 'OK')` of a SET NX claim", code: K_CLAIM_THEN_BRANCH },
    {
      name: 'kafkajs: config effects.idempotent names the axios instance POST',
      code: K_AXIOS_INSTANCE_POST,
      config: { effects: { unsafe: [], idempotent: ['ledgerApi.post'] } },
    },
    {
      name: 'kafkajs: Stripe billing.meterEvents.create with identifier from the offset',
      code: K_METER_EVENT_IDENTIFIER,
    },
    { name: 'kafkajs: guard on the event-id header (`!eventId || await redis.exists(…)`)', code: K_HEADER_GUARD },
    {
      name: 'kafkajs: effect before a valid claim is non-idempotent-handler, not this rule',
      code: K_EFFECT_BEFORE_GUARD,
    },
    {
      name: 'kafkajs: identity "message-id" with identityFields naming orderId',
      code: K_MESSAGE_ID_MODE,
      config: { identity: 'message-id', identityFields: ['orderId'] },
    },
    {
      name: 'kafkajs: SET NX claim on message.key with kafkaKeysUnique: true',
      code: K_MESSAGE_KEY_GUARD,
      config: { kafkaKeysUnique: true },
    },
    { name: 'kafkajs: eachBatch per-message guard that resolves and continues', code: K_BATCH_GUARD },
    // ---- amqplib ----
    { name: 'amqplib: check-then-record redis.exists(`evt:${id}`) then ack and return', code: A_EXISTS_GUARD },
    { name: 'amqplib: unique-violation claim in try/catch on processed_messages', code: A_UNIQUE_VIOLATION_CLAIM },
    { name: 'amqplib: absolute UPDATE SET and DELETE only', code: A_ABSOLUTE_UPDATE },
    { name: 'amqplib: HTTP GET and Redis hset/sadd/set only', code: A_GET_AND_REDIS_WRITES },
    { name: 'amqplib: insert after the ack belongs to ack-before-process', code: A_ACK_FIRST },
    { name: 'amqplib: noAck: true consumer (auto-ack, no dedup finding)', code: A_NO_ACK },
    {
      name: 'amqplib: /* delivery-lint-disable missing-event-id-check */ at the top of the file',
      code: A_FILE_DISABLE,
    },
    { name: 'amqplib: logging and metrics only', code: A_LOGGING_ONLY },
    { name: 'amqplib: node-redis set(key, v, { NX: true, EX }) claim', code: A_NODE_REDIS_NX },
    { name: 'amqplib: INSERT … ON CONFLICT (id) DO NOTHING keyed by messageId', code: A_CONFLICT_INSERT },
    { name: 'amqplib: Stripe transfers.create with idempotencyKey from messageId', code: A_STRIPE_MESSAGE_KEY },
    // ---- sqs-consumer ----
    {
      name: 'sqs-consumer: prisma.processedEvent.findUnique then return',
      code: S_PRISMA_INBOX_CHECK,
      files: { 'db.ts': PRISMA_DB },
    },
    { name: 'sqs-consumer: business key guard on payload orderId', code: S_BUSINESS_KEY_GUARD },
    {
      name: 'sqs-consumer: a state loaded by the payload id through a store decorated onto the server, recorded after the POST',
      code: sqsDecoratedStore(),
    },
    { name: 'sqs-consumer: DELETE statements only', code: S_DELETE_ONLY },
    {
      name: 'sqs-consumer: Stripe paymentIntents.create with idempotencyKey from MessageId',
      code: S_STRIPE_MESSAGE_KEY,
    },
    { name: 'sqs-consumer: SQS FIFO send with MessageDeduplicationId from MessageId', code: S_FIFO_DEDUP_ID },
    { name: 'sqs-consumer: /** @delivery at-most-once */ on a named handler', code: S_AT_MOST_ONCE_TAG },
    {
      name: "sqs-consumer: config guards [{ name: 'isDuplicate', returns: 'seen' }]",
      code: S_CONFIGURED_GUARD,
      files: { 'dedup.ts': S_DEDUP_LIBRARY_FILE },
      config: { guards: [{ name: 'isDuplicate', returns: 'seen', keyArgument: 0 }] },
    },
    { name: 'sqs-consumer: axios PUT and DELETE only', code: S_PUT_AND_DELETE },
    { name: 'sqs-consumer: Mongo updateOne with $set', code: S_MONGO_SET },
    { name: 'sqs-consumer: parse and log only', code: S_PARSE_AND_LOG },
    { name: 'sqs-consumer: fetch POST with an Idempotency-Key header from MessageId', code: S_IDEMPOTENCY_HEADER },
  ],
  invalid: [
    {
      name: 'client-sqs: the same forwarding from a queue that is no dead-letter queue publishes a duplicate on redelivery',
      code: L_FORWARD_ONE('ORDERS_QUEUE_URL', 'SHIPPING_QUEUE_URL'),
      errors: [
        {
          line: lineOf(L_FORWARD_ONE('ORDERS_QUEUE_URL', 'SHIPPING_QUEUE_URL'), 'for (;;) {'),
          messageId: 'noIdentityCheck',
          data: 'SQS SendMessage',
        },
      ],
    },
    {
      name: 'kafkajs: a .catch() that wraps the error and rethrows is a catch: the insert after the load is unguarded',
      code: K_WRAPPING_CATCH,
      errors: [
        { line: lineOf(K_WRAPPING_CATCH, 'eachMessage:'), messageId: 'noIdentityCheck', data: 'INSERT INTO shipments' },
      ],
    },
    {
      name: 'Lambda SQS: a .catch() that rethrows around a library call nothing classifies runs only on its failure: the insert after it is unguarded',
      code: L_UNSEEN_WORK_CATCH,
      errors: [
        {
          line: lineOf(L_UNSEEN_WORK_CATCH, 'for (const record'),
          messageId: 'noIdentityCheck',
          data: 'INSERT INTO receipts',
        },
      ],
    },
    {
      name: "kafkajs: a check that skips one item of a loop with `continue` is that item's own: the POST before the loop is unguarded",
      code: K_ITEM_LOOP_CHECK,
      errors: [
        {
          line: lineOf(K_ITEM_LOOP_CHECK, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: 'HTTP POST',
        },
      ],
    },
    {
      name: "kafkajs: a check in one element of Promise.allSettled is that element's own: the other element's POST is unguarded",
      code: K_CONCURRENT_CHECK,
      files: { 'dedup.ts': K_HELPER_GUARD_FILE },
      errors: [
        {
          line: lineOf(K_CONCURRENT_CHECK, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: 'HTTP POST',
        },
      ],
    },
    {
      name: 'kafkajs: a Redis lock (SET NX, deleted in a finally) is no dedup: a redelivery after the release repeats the insert',
      code: K_REDIS_LOCK('await redis.del(key)'),
      errors: [
        {
          line: lineOf(K_REDIS_LOCK(''), 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: 'INSERT INTO ledger_entries',
        },
      ],
    },
    {
      name: 'kafkajs: a Redis lock released by a helper in a finally is no dedup either',
      code: K_REDIS_LOCK('await releaseLock(redis, key, token)'),
      errors: [
        {
          line: lineOf(K_REDIS_LOCK(''), 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: 'INSERT INTO ledger_entries',
        },
      ],
    },
    {
      name: 'sequelize: a loaded account (let declared empty) changed relative to itself under another name is a read-modify-write',
      code: K_LOADED_LET('account.balance = account.balance + deposit.amount;'),
      errors: [
        {
          line: lineOf(K_LOADED_LET(''), 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: 'account.save (read-modify-write)',
        },
      ],
    },
    {
      name: 'sqs-consumer: a state loaded by a key that does not come from the message is no dedup check',
      code: S_DECORATED_STATE_UNKEYED,
      errors: [
        {
          line: lineOf(S_DECORATED_STATE_UNKEYED, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: 'HTTP POST',
        },
      ],
    },
    {
      name: 'sqs-consumer: a state loaded by the payload id that nothing records after the POST is validation, no dedup check',
      code: S_DECORATED_STATE_UNRECORDED,
      errors: [
        {
          line: lineOf(S_DECORATED_STATE_UNRECORDED, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: 'HTTP POST',
        },
      ],
    },
    // ---- kafkajs ----
    {
      name: 'kafkajs: raw pg INSERT without ON CONFLICT',
      code: K_RAW_INSERT,
      errors: [
        {
          line: lineOf(K_RAW_INSERT, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: [
            "kafkajs consumer of topic 'payments.captured'",
            'INSERT INTO ledger_entries',
            'inserts a second row into ledger_entries',
            'topic + partition + message.offset',
          ],
          related: 2,
          severity: 'warning',
        },
      ],
    },
    {
      name: 'kafkajs: Prisma update with { increment }',
      code: K_PRISMA_INCREMENT,
      files: { 'db.ts': PRISMA_DB },
      errors: [
        {
          line: lineOf(K_PRISMA_INCREMENT, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['prisma.article.update (increment)', 'applies the article increment twice'],
        },
      ],
    },
    {
      name: 'kafkajs: Redis incr',
      code: K_REDIS_INCR,
      errors: [
        {
          line: lineOf(K_REDIS_INCR, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['redis incr', 'counts it twice'],
        },
      ],
    },
    {
      name: 'kafkajs: fetch POST',
      code: K_FETCH_POST,
      errors: [
        {
          line: lineOf(K_FETCH_POST, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['HTTP POST https://crm.example.com/api/contacts', 'repeats the POST request'],
        },
      ],
    },
    {
      name: 'kafkajs: Stripe charges.create without idempotencyKey',
      code: K_STRIPE_NO_KEY,
      errors: [
        {
          line: lineOf(K_STRIPE_NO_KEY, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['Stripe charges.create', 'charges the customer a second time'],
        },
      ],
    },
    {
      name: 'kafkajs: producer.send of a derived event',
      code: K_PRODUCER_SEND,
      errors: [
        {
          line: lineOf(K_PRODUCER_SEND, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['Kafka producer.send', 'orders.enriched', 'publishes a duplicate message downstream'],
        },
      ],
    },
    {
      name: 'kafkajs: appendFile to an audit trail',
      code: K_APPEND_FILE,
      errors: [
        {
          line: lineOf(K_APPEND_FILE, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['appendFile', 'appends the record twice'],
        },
      ],
    },
    {
      name: 'kafkajs: INSERT in a helper of another file',
      code: K_HELPER_OTHER_FILE,
      files: { 'services/ledger.ts': LEDGER_SERVICE },
      errors: [
        {
          line: lineOf(K_HELPER_OTHER_FILE, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO ledger_entries', 'via recordPayment()'],
          related: 3,
        },
      ],
    },
    {
      name: 'kafkajs: guard keyed by randomUUID() does not count',
      code: K_RANDOM_UUID_GUARD,
      errors: [
        {
          line: lineOf(K_RANDOM_UUID_GUARD, 'eachMessage:'),
          messageId: 'invalidIdentityCheck',
          data: ['UPDATE loyalty_accounts (relative)', 'made fresh on every delivery'],
          related: 3,
        },
      ],
    },
    {
      name: 'kafkajs: identity "message-id" rejects a payload-field key',
      code: K_MESSAGE_ID_MODE,
      config: { identity: 'message-id' },
      errors: [
        {
          line: lineOf(K_MESSAGE_ID_MODE, 'eachMessage:'),
          messageId: 'invalidIdentityCheck',
          data: ['sendMail (email)', '"identity": "message-id"'],
        },
      ],
    },
    {
      name: 'kafkajs: four unsafe effects give one finding listing them',
      code: K_MANY_EFFECTS,
      errors: [
        {
          line: lineOf(K_MANY_EFFECTS, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO welcome_credits', 'redis incr', 'sendMail (email)', '(and 1 more)'],
          related: 5,
        },
      ],
    },
    {
      name: 'kafkajs: named handler function (finding on its name)',
      code: K_NAMED_HANDLER,
      errors: [
        {
          line: lineOf(K_NAMED_HANDLER, 'async function handleStockReceived'),
          messageId: 'noIdentityCheck',
          data: ['redis hincrby', "topic 'stock.received'"],
        },
      ],
    },
    {
      name: 'kafkajs: eachBatch insert before resolveOffset',
      code: K_EACH_BATCH,
      errors: [
        { line: lineOf(K_EACH_BATCH, 'eachBatch:'), messageId: 'noIdentityCheck', data: 'INSERT INTO meter_readings' },
      ],
    },
    {
      name: 'kafkajs: axios instance POST without config',
      code: K_AXIOS_INSTANCE_POST,
      errors: [
        {
          line: lineOf(K_AXIOS_INSTANCE_POST, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: 'HTTP POST /entries',
        },
      ],
    },
    {
      name: 'kafkajs: autoCommit false, relative UPDATE before commitOffsets',
      code: K_EXPLICIT_COMMIT,
      errors: [
        {
          line: lineOf(K_EXPLICIT_COMMIT, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['UPDATE stock (relative)', 'before commitOffsets'],
        },
      ],
    },
    {
      name: 'kafkajs: the same handler without its @idempotent tag',
      code: K_IDEMPOTENT_TAG.replace(
        '/** @idempotent the warehouse API rejects a second shipment with the same shipmentId */',
        '// forwards shipments to the warehouse',
      ),
      errors: [
        {
          line: lineOf(K_IDEMPOTENT_TAG, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: 'HTTP POST https://warehouse.example.com/v2/shipments',
        },
      ],
    },
    {
      name: 'kafkajs: SET NX claim on message.key without kafkaKeysUnique does not count',
      code: K_MESSAGE_KEY_GUARD,
      errors: [
        { line: lineOf(K_MESSAGE_KEY_GUARD, 'eachMessage:'), messageId: 'invalidIdentityCheck', data: 'redis zincrby' },
      ],
    },
    {
      name: 'kafkajs: identity "message-id" rejects a payload `id` field',
      code: K_MESSAGE_ID_MODE_PAYLOAD_ID,
      config: { identity: 'message-id' },
      errors: [
        {
          line: lineOf(K_MESSAGE_ID_MODE_PAYLOAD_ID, 'eachMessage:'),
          messageId: 'invalidIdentityCheck',
          data: ['sendMail (email)', '"identity": "message-id"'],
        },
      ],
    },
    // ---- amqplib ----
    {
      name: 'amqplib: UPDATE … SET balance = balance + $1',
      code: A_RELATIVE_UPDATE,
      errors: [
        {
          line: lineOf(A_RELATIVE_UPDATE, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: [
            "amqplib consumer of queue 'deposits'",
            'UPDATE accounts (relative)',
            'applies the relative update to accounts twice',
            'msg.properties.messageId',
          ],
          related: 2,
          severity: 'warning',
        },
      ],
    },
    {
      name: 'amqplib: Mongo insertOne',
      code: A_MONGO_INSERT,
      errors: [
        {
          line: lineOf(A_MONGO_INSERT, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: ['auditLog.insertOne', 'inserts a second document'],
        },
      ],
    },
    {
      name: 'amqplib: Redis lpush',
      code: A_REDIS_LPUSH,
      errors: [
        {
          line: lineOf(A_REDIS_LPUSH, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: ['redis lpush', 'appends the entry twice'],
        },
      ],
    },
    {
      name: 'amqplib: axios.post',
      code: A_AXIOS_POST,
      errors: [
        {
          line: lineOf(A_AXIOS_POST, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: 'HTTP POST https://hooks.partner.example/shipments',
        },
      ],
    },
    {
      name: 'amqplib: Stripe refunds.create with idempotencyKey: randomUUID()',
      code: A_STRIPE_RANDOM_KEY,
      errors: [
        {
          line: lineOf(A_STRIPE_RANDOM_KEY, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: ['Stripe refunds.create', 'refunds the customer a second time', 'made fresh per delivery'],
        },
      ],
    },
    {
      name: 'amqplib: channel.publish (synchronous) before the ack',
      code: A_CHANNEL_PUBLISH,
      errors: [
        {
          line: lineOf(A_CHANNEL_PUBLISH, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: ['amqplib publish', 'publishes a duplicate message downstream'],
        },
      ],
    },
    {
      name: 'amqplib: channel.sendToQueue in a loop before the ack',
      code: A_SEND_TO_QUEUE,
      errors: [
        {
          line: lineOf(A_SEND_TO_QUEUE, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: ['amqplib sendToQueue', 'picking'],
        },
      ],
    },
    {
      name: 'amqplib: INSERT two calls deep (service method → repository function)',
      code: A_TWO_LEVEL_HELPER,
      files: { 'services/order-service.ts': A_SERVICE_FILE, 'repositories/orders.ts': A_REPOSITORY_FILE },
      errors: [
        {
          line: lineOf(A_TWO_LEVEL_HELPER, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO orders', 'insertOrder()'],
          related: 4,
        },
      ],
    },
    {
      name: 'amqplib: SET NX claim keyed with Date.now() does not count',
      code: A_DATE_NOW_GUARD,
      errors: [
        {
          line: lineOf(A_DATE_NOW_GUARD, 'async (msg) =>'),
          messageId: 'invalidIdentityCheck',
          data: ['INSERT INTO invoices', 'made fresh on every delivery'],
          related: 3,
        },
      ],
    },
    {
      name: 'amqplib: DynamoDB UpdateCommand SET votes = votes + :one',
      code: A_DYNAMO_SET_PLUS,
      errors: [
        {
          line: lineOf(A_DYNAMO_SET_PLUS, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: 'DynamoDB Update polls',
        },
      ],
    },
    {
      name: 'amqplib: in-memory Map check does not count',
      code: A_IN_MEMORY_MAP,
      errors: [
        {
          line: lineOf(A_IN_MEMORY_MAP, 'async (msg) =>'),
          messageId: 'invalidIdentityCheck',
          data: ['sendMail (email)', 'in-memory'],
        },
      ],
    },
    // ---- sqs-consumer ----
    {
      name: 'amqplib: guard keyed by a module counter does not count',
      code: A_COUNTER_GUARD,
      errors: [
        {
          line: lineOf(A_COUNTER_GUARD, 'async (msg) =>'),
          messageId: 'invalidIdentityCheck',
          data: ['redis zincrby', 'does not come from the message'],
        },
      ],
    },
    {
      name: 'amqplib: the same consumer with noAck: false',
      code: A_NO_ACK.replace('{ noAck: true }', '{ noAck: false }'),
      errors: [
        {
          line: lineOf(A_NO_ACK, 'async (msg) =>'),
          messageId: 'noIdentityCheck',
          data: 'INSERT INTO temperature_samples',
        },
      ],
    },
    {
      name: 'amqplib: the same file without its delivery-lint-disable comment',
      code: A_FILE_DISABLE.replace('/* delivery-lint-disable missing-event-id-check */\n', ''),
      errors: [
        { line: lineOf(A_FILE_DISABLE, 'async (msg) =>') - 1, messageId: 'noIdentityCheck', data: 'redis incr' },
      ],
    },
    {
      name: 'sqs-consumer: Prisma create (untyped client)',
      code: S_PRISMA_CREATE,
      files: { 'db.ts': PRISMA_DB },
      errors: [
        {
          line: lineOf(S_PRISMA_CREATE, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: [
            "sqs-consumer consumer of queue 'invoices'",
            'prisma.invoice.create',
            'creates a second invoice record',
            'message.MessageId',
          ],
          related: 2,
          severity: 'warning',
        },
      ],
    },
    {
      name: 'sqs-consumer: Mongo updateOne with $inc',
      code: S_MONGO_INC,
      errors: [
        {
          line: lineOf(S_MONGO_INC, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: ['usage.updateOne ($inc/$push)', 'applies the $inc/$push twice'],
        },
      ],
    },
    {
      name: 'sqs-consumer: DynamoDB UpdateCommand with ADD',
      code: S_DYNAMO_ADD,
      errors: [
        {
          line: lineOf(S_DYNAMO_ADD, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: ['DynamoDB Update inventory', 'applies the inventory update twice'],
        },
      ],
    },
    {
      name: 'sqs-consumer: nodemailer sendMail',
      code: S_SEND_MAIL,
      errors: [
        {
          line: lineOf(S_SEND_MAIL, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: ['sendMail (email)', 'sends the email a second time'],
        },
      ],
    },
    {
      name: 'sqs-consumer: kafkajs producer.send bridge',
      code: S_KAFKA_BRIDGE,
      errors: [
        {
          line: lineOf(S_KAFKA_BRIDGE, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: ['Kafka producer.send', 'legacy.events'],
        },
      ],
    },
    {
      name: 'sqs-consumer: SQS SendMessageCommand to a standard queue',
      code: S_SQS_SEND,
      errors: [
        {
          line: lineOf(S_SQS_SEND, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: ['SQS SendMessage', 'shipping'],
        },
      ],
    },
    {
      name: 'sqs-consumer: Stripe paymentIntents.create in a helper of another file',
      code: S_HELPER_STRIPE,
      files: { 'billing.ts': S_BILLING_FILE },
      errors: [
        {
          line: lineOf(S_HELPER_STRIPE, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: ['Stripe paymentIntents.create', 'via chargeCustomer()'],
          related: 3,
        },
      ],
    },
    {
      name: 'sqs-consumer: in-memory Set check does not count',
      code: S_IN_MEMORY_SET,
      errors: [
        {
          line: lineOf(S_IN_MEMORY_SET, 'handleMessage:'),
          messageId: 'invalidIdentityCheck',
          data: ['sendMail (email)', 'in-memory'],
          related: 3,
        },
      ],
    },
    {
      name: 'sqs-consumer: knex insert without onConflict',
      code: S_KNEX_INSERT,
      errors: [
        {
          line: lineOf(S_KNEX_INSERT, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: 'knex shipment_labels insert',
        },
      ],
    },
    {
      name: 'sqs-consumer: new Consumer({...}) with axios.patch',
      code: S_NEW_CONSUMER_PATCH,
      errors: [
        {
          line: lineOf(S_NEW_CONSUMER_PATCH, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: ['HTTP PATCH', "queue 'loyalty-adjustments'"],
        },
      ],
    },
    {
      name: 'sqs-consumer: handleMessageBatch with redis xadd',
      code: S_BATCH_XADD,
      errors: [{ line: lineOf(S_BATCH_XADD, 'handleMessageBatch:'), messageId: 'noIdentityCheck', data: 'redis xadd' }],
    },
    {
      name: 'sqs-consumer: without the guards config, isDuplicate() is not a guard',
      code: S_CONFIGURED_GUARD,
      files: { 'dedup.ts': S_DEDUP_LIBRARY_FILE },
      errors: [
        {
          line: lineOf(S_CONFIGURED_GUARD, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: 'INSERT INTO invoice_lines',
        },
      ],
    },
    {
      name: 'sqs-consumer: sendMail and incr awaited through Promise.all',
      code: S_PROMISE_ALL,
      errors: [
        {
          line: lineOf(S_PROMISE_ALL, 'handleMessage:'),
          messageId: 'noIdentityCheck',
          data: 'sendMail (email) and redis incr',
          related: 3,
        },
      ],
    },
    {
      name: 'sqs-consumer: handler imported from another file (finding in that file)',
      code: S_IMPORTED_HANDLER,
      files: { 'handlers/refund.ts': S_REFUND_HANDLER_FILE },
      errors: [
        {
          file: 'handlers/refund.ts',
          line: lineOf(S_REFUND_HANDLER_FILE, 'export async function handleRefund'),
          messageId: 'noIdentityCheck',
          data: ['Stripe refunds.create', "queue 'refunds'"],
        },
      ],
    },
    {
      name: 'sqs-consumer: the same handler without @delivery at-most-once',
      code: S_AT_MOST_ONCE_TAG.replace('/** @delivery at-most-once */\n', ''),
      errors: [
        {
          line: lineOf(S_AT_MOST_ONCE_TAG, 'async function trackPageView') - 1,
          messageId: 'noIdentityCheck',
          data: 'redis incr',
        },
      ],
    },
  ],
});

// ---- related locations of effects found in other files ------------------------------------

for (const mode of MODES) {
  describe(`${RULE}: related locations across files (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'mei-related');
    });
    after(() => project?.remove());

    test('kafkajs: the effect in services/ledger.ts, the call in the handler and the registration', () => {
      const [consumerFile, ledgerFile] = project.write({
        'consumer.ts': K_HELPER_OTHER_FILE,
        'services/ledger.ts': LEDGER_SERVICE,
      });
      const result = project.analyze([consumerFile]);
      assert.deepEqual(result.problems, []);
      const [finding, ...others] = findingsOf(result, RULE);
      assert.equal(others.length, 0, 'one finding for the handler');
      assert.equal(finding.location.filePath, consumerFile);
      assert.equal(finding.location.line, lineOf(K_HELPER_OTHER_FILE, 'eachMessage:'));
      const effect = finding.related.find((related) => related.location.filePath === ledgerFile);
      assert.ok(
        effect,
        `a related location in services/ledger.ts, got ${JSON.stringify(finding.related.map((r) => `${r.location.filePath}:${r.location.line}`))}`,
      );
      assert.equal(effect.location.line, lineOf(LEDGER_SERVICE, 'INSERT INTO ledger_entries'));
      assert.match(effect.message, /INSERT INTO ledger_entries/);
      const call = finding.related.find(
        (related) =>
          related.location.filePath === consumerFile &&
          related.location.line === lineOf(K_HELPER_OTHER_FILE, 'await recordPayment('),
      );
      assert.ok(call, 'the handler call leading to the effect is related');
      assert.match(call.message, /recordPayment\(\)/);
      const registration = finding.related.find(
        (related) => related.location.line === lineOf(K_HELPER_OTHER_FILE, 'await consumer.run('),
      );
      assert.ok(registration, 'the registration is related');
      assert.match(registration.message, /kafkajs/);
    });

    test('amqplib: a two-level chain lists both calls in order', () => {
      const [consumerFile, serviceFile, repositoryFile] = project.write({
        'chain/consumer.ts': A_TWO_LEVEL_HELPER,
        'chain/services/order-service.ts': A_SERVICE_FILE,
        'chain/repositories/orders.ts': A_REPOSITORY_FILE,
      });
      const result = project.analyze([consumerFile]);
      assert.deepEqual(result.problems, []);
      const findings = findingsOf(result, RULE, consumerFile);
      assert.equal(findings.length, 1);
      const files = findings[0].related.map((related) => related.location.filePath);
      const effectIndex = files.indexOf(repositoryFile);
      const serviceIndex = files.indexOf(serviceFile);
      const handlerIndex = findings[0].related.findIndex(
        (related) =>
          related.location.filePath === consumerFile &&
          related.location.line === lineOf(A_TWO_LEVEL_HELPER, 'await orders.place('),
      );
      assert.ok(effectIndex >= 0, 'the INSERT in repositories/orders.ts is related');
      assert.ok(handlerIndex >= 0, 'the handler call orders.place() is related');
      assert.ok(serviceIndex >= 0, 'the call to insertOrder() in the service is related');
      assert.equal(findings[0].related[effectIndex].location.line, lineOf(A_REPOSITORY_FILE, 'INSERT INTO orders'));
      assert.equal(findings[0].related[serviceIndex].location.line, lineOf(A_SERVICE_FILE, 'await insertOrder('));
      assert.ok(
        effectIndex < handlerIndex && handlerIndex < serviceIndex,
        'effect first, then the chain from the handler down',
      );
    });

    test('the suppression comment removes only missing-event-id-check, one line below it', () => {
      const code = K_SUPPRESSED_NEXT_LINE.replace(
        '// delivery-lint-disable-next-line missing-event-id-check',
        '// delivery-lint-disable-next-line ack-before-process',
      );
      const [file] = project.write({ 'suppress/consumer.ts': code });
      const result = project.analyze([file], configWith());
      assert.equal(findingsOf(result, RULE, file).length, 1, 'a directive for another rule does not suppress this one');
    });
  });
}

// ---- batch analysis for the model checks below: one program per distinct config ----------------

interface BatchCase {
  code: string;
  files?: Record<string, string>;
  config?: Parameters<typeof configWith>[0];
}

/** Writes each case in its own folder and analyses them together, one program per config. */
function analyzeBatch(
  project: TestProject,
  prefix: string,
  cases: readonly BatchCase[],
): { consumerFile: string; result: ReturnType<TestProject['analyze']> }[] {
  const prepared = cases.map((c, index) => {
    const written = project.write(
      Object.fromEntries(
        Object.entries({ 'consumer.ts': c.code, ...(c.files ?? {}) }).map(([name, text]) => [
          `${prefix}${index}/${name}`,
          text,
        ]),
      ),
    );
    return { consumerFile: written[0], key: JSON.stringify(c.config ?? {}) };
  });
  const results = new Map<string, ReturnType<TestProject['analyze']>>();
  for (const key of new Set(prepared.map((entry) => entry.key))) {
    const files = prepared.filter((entry) => entry.key === key).map((entry) => entry.consumerFile);
    results.set(key, project.analyze(files, configWith(JSON.parse(key) as Partial<ResolvedConfig>)));
  }
  return prepared.map((entry) => ({ consumerFile: entry.consumerFile, result: results.get(entry.key)! }));
}

function consumerIn(result: ReturnType<TestProject['analyze']>, file: string) {
  const consumers = result.consumers.filter((consumer) => consumer.registration.location.filePath === file);
  assert.equal(consumers.length, 1, `one consumer registered in ${file}`);
  return consumers[0];
}

// ---- valid for the right reason: the unsafe effect is seen, and so is the guard ----------------

const GUARDED: {
  name: string;
  code: string;
  files?: Record<string, string>;
  config?: Parameters<typeof configWith>[0];
}[] = [
  { name: 'kafkajs Redis SET NX claim', code: K_REDIS_CLAIM },
  { name: 'kafkajs inbox transaction', code: K_INBOX_TX },
  { name: 'kafkajs helper isProcessed()', code: K_HELPER_GUARD, files: { 'dedup.ts': K_HELPER_GUARD_FILE } },
  { name: "kafkajs if (claimed === 'OK') { … }", code: K_CLAIM_THEN_BRANCH },
  { name: 'kafkajs event-id header guard', code: K_HEADER_GUARD },
  { name: 'kafkajs eachBatch guard with continue', code: K_BATCH_GUARD },
  { name: 'amqplib redis.exists check-then-record', code: A_EXISTS_GUARD },
  { name: 'amqplib unique-violation claim', code: A_UNIQUE_VIOLATION_CLAIM },
  { name: 'amqplib node-redis { NX: true } claim', code: A_NODE_REDIS_NX },
  { name: 'sqs-consumer prisma findUnique', code: S_PRISMA_INBOX_CHECK, files: { 'db.ts': PRISMA_DB } },
  { name: 'sqs-consumer business key', code: S_BUSINESS_KEY_GUARD },
  {
    name: 'sqs-consumer configured isDuplicate()',
    code: S_CONFIGURED_GUARD,
    files: { 'dedup.ts': S_DEDUP_LIBRARY_FILE },
    config: { guards: [{ name: 'isDuplicate', returns: 'seen', keyArgument: 0 }] },
  },
];

for (const mode of MODES) {
  describe(`${RULE}: valid guard cases see both the effect and the guard (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'mei-guarded');
    });
    after(() => project?.remove());

    let guarded: ReturnType<typeof analyzeBatch>;
    before(() => {
      guarded = analyzeBatch(project, 'g', GUARDED);
    });

    GUARDED.forEach((c, index) => {
      test(c.name, () => {
        const { consumerFile, result } = guarded[index];
        assert.deepEqual(result.problems, []);
        const consumer = consumerIn(result, consumerFile);
        assert.ok(
          consumer.effects.some((effect) => effect.description.class === 'duplicate-unsafe' && !effect.keyedByMessage),
          `a duplicate-unsafe effect is seen: ${consumer.effects.map((effect) => `${effect.description.label}=${effect.description.class}`).join(', ')}`,
        );
        const guard = consumer.guards.find((g) => g.scope === 'message' && g.keyedByIdentity && !g.invalidReason);
        assert.ok(
          guard,
          `a valid message guard is seen: ${JSON.stringify(consumer.guards.map((g) => [g.label, g.scope, g.keyedByIdentity, g.invalidReason]))}`,
        );
        assert.equal(findingsOf(result, RULE, consumerFile).length, 0);
      });
    });

    test('kafkajs: an effect before a valid claim is reported by non-idempotent-handler instead', () => {
      const [file] = project.write({ 'before-guard/consumer.ts': K_EFFECT_BEFORE_GUARD });
      const result = project.analyze([file]);
      assert.equal(findingsOf(result, RULE, file).length, 0);
      const escaped = findingsOf(result, 'non-idempotent-handler', file);
      assert.equal(escaped.length, 1);
      assert.equal(escaped[0].location.line, lineOf(K_EFFECT_BEFORE_GUARD, 'INSERT INTO usage_audit'));
    });

    test('kafkajs: a check whose "seen" branch only logs protects nothing: exactly one dedup rule reports it', () => {
      const [file] = project.write({ 'log-only/consumer.ts': K_LOG_ONLY_CHECK });
      const result = project.analyze([file]);
      const dedup = [...findingsOf(result, RULE, file), ...findingsOf(result, 'non-idempotent-handler', file)];
      assert.equal(
        dedup.length,
        1,
        `one of missing-event-id-check / non-idempotent-handler: ${dedup.map((f) => f.ruleId).join(', ')}`,
      );
      assert.match(dedup[0].message, /INSERT INTO bookings/);
    });

    test('amqplib: an insert after the ack is reported by ack-before-process instead', () => {
      const [file] = project.write({ 'ackfirst/consumer.ts': A_ACK_FIRST });
      const result = project.analyze([file]);
      assert.equal(findingsOf(result, RULE, file).length, 0);
      const ackFindings = findingsOf(result, 'ack-before-process', file);
      assert.equal(ackFindings.length, 1);
      assert.equal(ackFindings[0].location.line, lineOf(A_ACK_FIRST, 'channel.ack(msg)'));
    });

    test('amqplib: noAck consumer has no dedup finding although its effect is unsafe', () => {
      const [file] = project.write({ 'noack/consumer.ts': A_NO_ACK });
      const result = project.analyze([file]);
      const [consumer] = result.consumers;
      assert.equal(consumer.registration.ackMode, 'auto-before-handler');
      assert.ok(consumer.effects.some((effect) => effect.description.class === 'duplicate-unsafe'));
      assert.equal(findingsOf(result, RULE, file).length, 0);
    });
  });
}

// ---- idempotent-only cases: the effects are seen and classified idempotent -----------------------

const IDEMPOTENT_ONLY: { name: string; code: string; config?: Parameters<typeof configWith>[0]; expect: RegExp[] }[] = [
  { name: 'kafkajs upsert', code: K_UPSERT_ONLY, expect: [/INSERT INTO customers … ON CONFLICT/] },
  { name: 'kafkajs fetch PUT', code: K_FETCH_PUT, expect: [/HTTP PUT/] },
  { name: 'kafkajs BullMQ jobId', code: K_BULLMQ_JOB_ID, expect: [/BullMQ add/] },
  { name: 'kafkajs Redis projection', code: K_REDIS_PROJECTION, expect: [/redis hset/, /redis set/, /redis del/] },
  { name: 'kafkajs DynamoDB PutCommand', code: K_DYNAMO_PUT_KEYED, expect: [/DynamoDB Put profiles/] },
  {
    name: 'kafkajs configured idempotent call',
    code: K_AXIOS_INSTANCE_POST,
    config: { effects: { unsafe: [], idempotent: ['ledgerApi.post'] } },
    expect: [/ledgerApi\.post/],
  },
  {
    name: 'amqplib absolute UPDATE and DELETE',
    code: A_ABSOLUTE_UPDATE,
    expect: [/UPDATE orders/, /DELETE FROM order_locks/],
  },
  { name: 'amqplib Redis writes', code: A_GET_AND_REDIS_WRITES, expect: [/redis hset/, /redis set/] },
  {
    name: 'amqplib conflict-ignoring insert',
    code: A_CONFLICT_INSERT,
    expect: [/INSERT INTO registrations … ON CONFLICT/],
  },
  {
    name: 'amqplib Stripe with message key',
    code: A_STRIPE_MESSAGE_KEY,
    expect: [/Stripe .*transfers\.create \(idempotencyKey\)/i],
  },
  { name: 'sqs-consumer DELETE', code: S_DELETE_ONLY, expect: [/DELETE FROM cart_items/, /DELETE FROM carts/] },
  { name: 'sqs-consumer Stripe with message key', code: S_STRIPE_MESSAGE_KEY, expect: [/\(idempotencyKey\)/] },
  {
    name: 'sqs-consumer FIFO MessageDeduplicationId',
    code: S_FIFO_DEDUP_ID,
    expect: [/SQS SendMessage .*\(deduplicated\)/],
  },
  { name: 'sqs-consumer axios PUT and DELETE', code: S_PUT_AND_DELETE, expect: [/HTTP PUT/, /HTTP DELETE/] },
  { name: 'sqs-consumer Mongo $set', code: S_MONGO_SET, expect: [/profiles\.updateOne/] },
  { name: 'sqs-consumer Idempotency-Key header', code: S_IDEMPOTENCY_HEADER, expect: [/HTTP POST/] },
];

for (const mode of MODES) {
  describe(`${RULE}: idempotent effects are seen and classified idempotent (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'mei-idempotent');
    });
    after(() => project?.remove());

    let idempotent: ReturnType<typeof analyzeBatch>;
    before(() => {
      idempotent = analyzeBatch(project, 'i', IDEMPOTENT_ONLY);
    });

    IDEMPOTENT_ONLY.forEach((c, index) => {
      test(c.name, () => {
        const { consumerFile, result } = idempotent[index];
        assert.deepEqual(result.problems, []);
        const consumer = consumerIn(result, consumerFile);
        const described = consumer.effects
          .map((effect) => `${effect.description.label}=${effect.description.class}`)
          .join(', ');
        for (const pattern of c.expect) {
          assert.ok(
            consumer.effects.some(
              (effect) => pattern.test(effect.description.label) && effect.description.class === 'idempotent',
            ),
            `an idempotent effect matching ${pattern}: ${described}`,
          );
        }
        assert.ok(
          !consumer.effects.some((effect) => effect.description.class === 'duplicate-unsafe' && !effect.keyedByMessage),
          `no unsafe effect: ${described}`,
        );
        assert.equal(findingsOf(result, RULE, consumerFile).length, 0);
      });
    });

    for (const [name, code] of [
      ['amqplib logging and metrics', A_LOGGING_ONLY],
      ['sqs-consumer parse and log', S_PARSE_AND_LOG],
    ] as const) {
      test(`${name}: no processing effect at all`, () => {
        const [file] = project.write({ [`log-${name.split(' ')[0]}/consumer.ts`]: code });
        const result = project.analyze([file]);
        const [consumer] = result.consumers;
        assert.ok(consumer, 'the consumer is recognised');
        assert.deepEqual(
          consumer.effects.filter((effect) => effect.description.processing).map((effect) => effect.description.label),
          [],
        );
      });
    }
  });
}
