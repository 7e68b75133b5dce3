/**
 * The dedup-guard fix (missing-event-id-check) in real project shapes: the key names the consumer's
 * group or queue (two Kafka groups read the same offsets; BullMQ counts job ids per queue), and the
 * Redis guard uses the project's own client and package (a client another module exports, a
 * node-redis client with its own call shapes). Each case applies the fix, type-checks the file
 * (typed mode) and analyses it again: the finding is gone and nothing new is reported.
 */
import { fixTests } from '../helpers/fix-cases';

const REDIS_MODULE = `import Redis from 'ioredis';

export const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379');
`;

const KAFKA_IMPORTED_CLIENT = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { redis } from './redis';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger-writer' });

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number };
      await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
      await redis.set(\`last-payment:\${payment.accountId}\`, String(payment.amountCents));
    },
  });
}
`;

/** The project's client lives in another module the consumer file does not import yet. */
const KAFKA_CLIENT_ELSEWHERE = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger-writer' });

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number };
      await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
    },
  });
}
`;

const KAFKA_DYNAMIC_GROUP = KAFKA_CLIENT_ELSEWHERE.replace(
  "consumer({ groupId: 'ledger-writer' })",
  'consumer({ groupId: process.env.KAFKA_GROUP! })',
).replace(
  "'INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)'",
  "'UPDATE accounts SET balance_cents = balance_cents + $2 WHERE id = $1'",
);

const NODE_REDIS_CLIENT = `import { createClient } from 'redis';
import { Worker, type Job } from 'bullmq';
import nodemailer from 'nodemailer';

const cache = createClient({ url: process.env.REDIS_URL });
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });

export const worker = new Worker(
  'welcome-emails',
  async (job: Job<{ email: string }>) => {
    await mailer.sendMail({ to: job.data.email, subject: 'Welcome', text: 'Hello!' });
    await cache.set(\`welcomed:\${job.data.email}\`, '1');
  },
  { connection: { host: 'redis' } },
);
`;

const BULLMQ = `import { Worker, type Job } from 'bullmq';
import nodemailer from 'nodemailer';
import Redis from 'ioredis';

const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });

export const worker = new Worker(
  'welcome-emails',
  async (job: Job<{ email: string }>) => {
    await mailer.sendMail({ to: job.data.email, subject: 'Welcome', text: 'Hello!' });
  },
  { connection: redis },
);
`;

fixTests('missing-event-id-check', [
  {
    name: "kafkajs: the key names the consumer group, and the file's imported ioredis client is reused",
    code: KAFKA_IMPORTED_CLIENT,
    files: { 'redis.ts': REDIS_MODULE },
    fix: 'Add a Redis dedup guard',
    contains: [
      'const dedupKey = `processed:ledger-writer:${topic}:${partition}:${message.offset}`;',
      "const claimed = await redis.set(dedupKey, 'processing', 'EX', 300, 'NX');",
      "await redis.set(dedupKey, 'done', 'EX', 7 * 24 * 3600);",
    ],
    absent: ['missing-event-id-check', 'non-atomic-dedup', 'non-idempotent-handler'],
  },
  {
    name: 'kafkajs: the client another module exports is imported, not a new one made',
    code: KAFKA_CLIENT_ELSEWHERE,
    files: { 'redis.ts': REDIS_MODULE },
    fix: 'Add a Redis dedup guard',
    contains: ["import { redis } from './redis';", "await redis.set(dedupKey, 'processing', 'EX', 300, 'NX')"],
    absent: ['missing-event-id-check', 'non-atomic-dedup', 'non-idempotent-handler'],
  },
  {
    name: 'kafkajs: a consumer group the code does not name statically: no dedup guard is offered',
    code: KAFKA_DYNAMIC_GROUP,
  },
  {
    name: "BullMQ: job ids count per queue, so the key names the job's queue",
    code: BULLMQ,
    fix: 'Add a Redis dedup guard',
    contains: ['const dedupKey = `processed:${job.queueName}:${job.id}`;', 'await redis.set(dedupKey'],
    absent: ['missing-event-id-check', 'non-atomic-dedup', 'non-idempotent-handler'],
  },
  {
    name: "BullMQ with a node-redis client: the guard uses node-redis's options object, on that client",
    code: NODE_REDIS_CLIENT,
    fix: 'Add a Redis dedup guard',
    contains: [
      "const claimed = await cache.set(dedupKey, 'processing', { NX: true, EX: 300 });",
      "await cache.set(dedupKey, 'done', { EX: 7 * 24 * 3600 });",
      'await cache.del(dedupKey);',
    ],
    absent: ['missing-event-id-check', 'non-atomic-dedup', 'non-idempotent-handler'],
  },
  {
    name: 'a project on node-redis without a client in the file: a node-redis client is made, not ioredis',
    code: BULLMQ.replace("import Redis from 'ioredis';\n", '')
      .replace('const redis = new Redis();\n', '')
      .replace('{ connection: redis }', "{ connection: { host: 'redis' } }"),
    files: { 'cache.ts': "import { createClient } from 'redis';\n\nconst local = createClient();\nvoid local;\n" },
    fix: 'Add a Redis dedup guard',
    contains: [
      "import { createClient } from 'redis';",
      'const dedupRedis = createClient({ url: process.env.REDIS_URL });',
      "await dedupRedis.set(dedupKey, 'processing', { NX: true, EX: 300 })",
    ],
    absent: ['missing-event-id-check', 'non-atomic-dedup', 'non-idempotent-handler'],
  },
]);
