/**
 * The at-most-once-consumer quick-fix (amqplib): `noAck: true` becomes `noAck: false`, and the
 * handler acks where it finishes normally (at the end, before an early return; not on the
 * `if (!msg) return` of a cancelled consumer). Applied and re-analysed: no at-most-once-consumer
 * and no unsettled message; the consumer is now at-least-once, so the dedup rules start to apply
 * (missing-event-id-check reports the unguarded relative update), which is the point: redelivery
 * is what the fix buys, and redelivery needs dedup.
 */
import { type FixCase, fixTests } from '../helpers/fix-cases';

const RULE = 'at-most-once-consumer';
const FIX = 'Switch to manual ack';

const AMQP = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume(
    'orders',
    async (msg) => {
      if (!msg) return;
      const order = JSON.parse(msg.content.toString()) as { id?: string; customerId: string; total: number };
      if (!order.id) return;
      await pool.query('UPDATE customers SET lifetime_value = lifetime_value + $1 WHERE id = $2', [order.total, order.customerId]);
    },
    { noAck: true },
  );
}
`;

const AMQP_FIXED = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume(
    'orders',
    async (msg) => {
      if (!msg) return;
      const order = JSON.parse(msg.content.toString()) as { id?: string; customerId: string; total: number };
      if (!order.id) { channel.ack(msg); return; }
      await pool.query('UPDATE customers SET lifetime_value = lifetime_value + $1 WHERE id = $2', [order.total, order.customerId]);
      channel.ack(msg);
    },
    { noAck: false },
  );
}
`;

/** A handler with a dedup guard already: after the switch nothing is left to report. */
const GUARDED = `import amqp from 'amqplib';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('welcome', async (msg) => {
    if (msg === null) return;
    const key = \`welcome:\${msg.properties.messageId}\`;
    const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');
    if (!claimed) return;
    try {
      await mailer.sendMail({ to: JSON.parse(msg.content.toString()).email, subject: 'Welcome!', text: 'Hi' });
      await redis.set(key, 'done', 'EX', 7 * 86400);
    } catch (error) {
      await redis.del(key);
      throw error;
    }
  }, { noAck: true });
}
`;

/** The handler already acks (a double-ack under noAck): the switch only flips the option. */
const ALREADY_ACKS = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('audit', async (msg) => {
    if (!msg) return;
    await pool.query('INSERT INTO audit (payload) VALUES ($1)', [msg.content.toString()]);
    channel.ack(msg);
  }, { noAck: true });
}
`;

const SERVICE_BUS = `import { ServiceBusClient } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient('Endpoint=sb://x/').createReceiver('usage', { receiveMode: 'receiveAndDelete' });

receiver.subscribe({
  processMessage: async (message) => {
    await pool.query('INSERT INTO usage (body) VALUES ($1)', [JSON.stringify(message.body)]);
  },
  processError: async (args) => console.error(args.error),
});
`;

const NAMED_HANDLER = `import amqp from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function onOrder(msg: ConsumeMessage | null): Promise<void> {
  if (!msg) return;
  await pool.query('INSERT INTO orders (body) VALUES ($1)', [msg.content.toString()]);
}

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('orders', onOrder, { noAck: true });
}
`;

const RETURNS_WORK = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    return void (await pool.query('INSERT INTO orders (body) VALUES ($1)', [msg.content.toString()]));
  }, { noAck: true });
}
`;

const cases: FixCase[] = [
  {
    name: 'amqplib: noAck: false, an ack at the end and before the early return (not on if (!msg) return)',
    code: AMQP,
    fix: FIX,
    expected: AMQP_FIXED,
    absent: [RULE, 'unsettled-message', 'double-ack', 'ack-before-process'],
    present: ['missing-event-id-check'],
  },
  {
    name: 'amqplib: a handler with a released claim is clean once it acks manually (msg === null guard kept)',
    code: GUARDED,
    fix: FIX,
    contains: [
      '{ noAck: false }',
      '    if (msg === null) return;\n',
      '    if (!claimed) { channel.ack(msg); return; }',
      '    }\n    channel.ack(msg);\n  }, { noAck: false });',
    ],
    absent: [
      RULE,
      'unsettled-message',
      'double-ack',
      'ack-before-process',
      'missing-event-id-check',
      'non-idempotent-handler',
      'non-atomic-dedup',
      'swallowed-failure-ack',
    ],
  },
  {
    name: 'amqplib: the handler already acks: only the option changes, and the double-ack goes too',
    code: ALREADY_ACKS,
    fix: FIX,
    expected: ALREADY_ACKS.replace('{ noAck: true }', '{ noAck: false }'),
    absent: [RULE, 'double-ack', 'unsettled-message'],
  },
  { name: 'no fix for Service Bus receiveAndDelete (the settle API differs)', code: SERVICE_BUS },
  { name: 'no fix for a handler defined elsewhere (the channel is not in its scope)', code: NAMED_HANDLER },
  { name: 'no fix when the handler returns its work (acking before it would ack too early)', code: RETURNS_WORK },
];

fixTests(RULE, cases);
