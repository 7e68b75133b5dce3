/**
 * The non-atomic-dedup quick-fix (docs/rules/non-atomic-dedup.md): a Redis check-then-record written in the
 * handler becomes a claim (SET NX with a short lease), released on failure and marked done after
 * the work; a duplicate that finds the claim still in flight is retried, never skipped. Applied and
 * re-analysed: no dedup finding is left, and no settle finding is added. Where the shape is not
 * mechanical (SQL, a helper, an early return in the work, a claim) no fix is offered.
 */
import { type FixCase, fixTests } from '../helpers/fix-cases';

const RULE = 'non-atomic-dedup';
const FIX = 'Replace the check-then-record';
const CLEAN = [
  RULE,
  'missing-event-id-check',
  'non-idempotent-handler',
  'double-ack',
  'unsettled-message',
  'swallowed-failure-ack',
  'ack-before-process',
];

// ---- amqplib: 2 spaces, single quotes, semicolons; the duplicate is acked, an in-flight one nacked ----

const AMQP = `import amqp from 'amqplib';
import Redis from 'ioredis';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';

const redis = new Redis();
const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal', port: 587 });

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
    const user = JSON.parse(msg.content.toString()) as { id: string; email: string };
    await pool.query('INSERT INTO welcome_log (user_id) VALUES ($1)', [user.id]);
    await mailer.sendMail({ to: user.email, subject: 'Welcome!', text: 'Thanks for signing up.' });
    await redis.set(\`seen:\${id}\`, '1');
    channel.ack(msg);
  });
}
`;

const AMQP_FIXED = `import amqp from 'amqplib';
import Redis from 'ioredis';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';

const redis = new Redis();
const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal', port: 587 });

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const id = msg.properties.messageId;
    const claimKey = \`seen:\${id}\`;
    // Claim the message atomically, with a short lease so a crash frees it for the redelivery.
    const claimed = await redis.set(claimKey, 'processing', 'EX', 300, 'NX');
    if (!claimed) {
      // Done by an earlier delivery: skip it. Still in flight (or just released): retry it later, never skip it.
      const claimState = await redis.get(claimKey);
      if (claimState !== null && claimState !== 'processing') {
        channel.ack(msg);
        return;
      }
      channel.nack(msg, false, true); // back to the queue: redelivered once the other delivery is done or its lease ends
      return;
    }
    try {
      const user = JSON.parse(msg.content.toString()) as { id: string; email: string };
      await pool.query('INSERT INTO welcome_log (user_id) VALUES ($1)', [user.id]);
      await mailer.sendMail({ to: user.email, subject: 'Welcome!', text: 'Thanks for signing up.' });
      await redis.set(claimKey, 'done');
    } catch (error) {
      await redis.del(claimKey); // release the claim so a retry can run
      throw error;
    }
    channel.ack(msg);
  });
}
`;

// ---- kafkajs: 4 spaces, double quotes, no semicolons; the check through a variable; the record's TTL kept ----

const KAFKA = `import { Kafka } from "kafkajs"
import Redis from "ioredis"
import Stripe from "stripe"

const redis = new Redis()
const stripe = new Stripe(process.env.STRIPE_KEY ?? "")
const consumer = new Kafka({ clientId: "billing", brokers: ["kafka:9092"] }).consumer({ groupId: "billing" })

export async function run() {
    await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
            const key = \`charged:\${topic}:\${partition}:\${message.offset}\`
            const seen = await redis.exists(key)
            if (seen) return
            const order = JSON.parse(message.value!.toString()) as { customerId: string; totalCents: number }
            await stripe.charges.create({ amount: order.totalCents, currency: "eur", customer: order.customerId })
            await redis.set(key, "1", "EX", 30 * 86400)
        },
    })
}
`;

const KAFKA_FIXED = `import { Kafka } from "kafkajs"
import Redis from "ioredis"
import Stripe from "stripe"

const redis = new Redis()
const stripe = new Stripe(process.env.STRIPE_KEY ?? "")
const consumer = new Kafka({ clientId: "billing", brokers: ["kafka:9092"] }).consumer({ groupId: "billing" })

export async function run() {
    await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
            const key = \`charged:\${topic}:\${partition}:\${message.offset}\`
            // Claim the message atomically, with a short lease so a crash frees it for the redelivery.
            const claimed = await redis.set(key, "processing", "EX", 300, "NX")
            if (!claimed) {
                // Done by an earlier delivery: skip it. Still in flight (or just released): retry it later, never skip it.
                const claimState = await redis.get(key)
                if (claimState !== null && claimState !== "processing") return
                throw new Error("message is being processed by another delivery: retry later")
            }
            try {
                const order = JSON.parse(message.value!.toString()) as { customerId: string; totalCents: number }
                await stripe.charges.create({ amount: order.totalCents, currency: "eur", customer: order.customerId })
                await redis.set(key, "done", "EX", 30 * 86400)
            } catch (error) {
                await redis.del(key) // release the claim so a retry can run
                throw error
            }
        },
    })
}
`;

// ---- sqs-consumer: GET !== null, the duplicate returned (deleted) ----

const SQS = `import { Consumer } from 'sqs-consumer';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    const key = \`receipt:\${message.MessageId}\`;
    if ((await redis.get(key)) !== null) return message;
    const receipt = JSON.parse(message.Body ?? '{}') as { email: string };
    await mailer.sendMail({ to: receipt.email, subject: 'Your receipt', text: 'Thanks' });
    await redis.set(key, 'sent');
    return message;
  },
});
`;

// ---- no fix ----

const SQL_CHECK = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';

const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });
const consumer = new Kafka({ clientId: 'a', brokers: ['kafka:9092'] }).consumer({ groupId: 'g' });

export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const id = \`\${topic}:\${partition}:\${message.offset}\`;
      const seen = await pool.query('SELECT 1 FROM processed_events WHERE event_id = $1', [id]);
      if (seen.rowCount) return;
      await mailer.sendMail({ to: 'ops@example.com', subject: 'event', text: id });
      await pool.query('INSERT INTO processed_events (event_id) VALUES ($1)', [id]);
    },
  });
}
`;

const HELPER = `import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });

export async function welcomeOnce(id: string, email: string): Promise<void> {
  if (await redis.exists(\`welcome:\${id}\`)) return;
  await mailer.sendMail({ to: email, subject: 'Welcome!', text: 'Hello' });
  await redis.set(\`welcome:\${id}\`, '1');
}
`;

const HELPER_CONSUMER = `import amqp from 'amqplib';
import { welcomeOnce } from './welcome';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    await welcomeOnce(msg.properties.messageId, JSON.parse(msg.content.toString()).email);
    channel.ack(msg);
  });
}
`;

const cases: FixCase[] = [
  {
    name: 'amqplib: EXISTS/SET becomes SET NX EX 300, done after the work, DEL in the catch; a duplicate in flight is nacked',
    code: AMQP,
    fix: FIX,
    expected: AMQP_FIXED,
    absent: CLEAN,
  },
  {
    name: "kafkajs: the file's style, the check through a const, the record's TTL kept; a duplicate in flight throws (kafkajs retries)",
    code: KAFKA,
    fix: FIX,
    expected: KAFKA_FIXED,
    absent: CLEAN,
  },
  {
    name: 'sqs-consumer: the duplicate is still returned (deleted), the claim done mark replaces the record',
    code: SQS,
    fix: FIX,
    contains: [
      "const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');",
      "if (claimState !== null && claimState !== 'processing') return message;",
      "throw new Error('message is being processed by another delivery: retry later');",
      "await redis.set(key, 'done');",
      'await redis.del(key); // release the claim so a retry can run',
    ],
    absent: CLEAN,
  },
  { name: 'no fix for an SQL check-then-record (the inbox table needs its own transaction)', code: SQL_CHECK },
  { name: 'no fix when the check-then-record is in a helper', code: HELPER_CONSUMER, files: { 'welcome.ts': HELPER } },
  {
    name: 'no fix when the work has an early return (it would skip the done mark)',
    code: SQS.replace(
      '    await mailer.sendMail(',
      '    if (!receipt.email) return message;\n    await mailer.sendMail(',
    ),
  },
];

fixTests(RULE, cases);
