/**
 * The swallowed-failure-ack quick-fixes (server/src/rules/fixes/settle.ts): rethrow from the catch,
 * nack with requeue on the failure path (amqplib), route to the dead-letter exchange, and for a
 * dropping settle, nack with requeue / nak. Applied, compared with the exact text, re-analysed.
 */
import { fixScenarios } from '../helpers/fix-scenarios';

const AMQP_CATCH_LOGS = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { id: string };
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [order.id]);
    } catch (err) {
      console.error('order insert failed', err);
    }
    channel.ack(msg);
  });
}
`;

const AMQP_ACK_IN_CATCH = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.assertQueue('orders.placed', { deadLetterExchange: 'orders.dlx' });
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [msg.properties.messageId]);
      channel.ack(msg);
    } catch (err) {
      console.error('order insert failed', err);
      channel.ack(msg); // give up on it
    }
  });
}
`;

const AMQP_DROP = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startRefunds(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.assertQueue('refunds', { durable: true });
  await channel.consume('refunds', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('UPDATE payments SET refunded = true WHERE id = $1', [msg.properties.messageId]);
      channel.ack(msg);
    } catch (err) {
      console.error('refund failed', err);
      channel.nack(msg, false, false);
    }
  });
}
`;

const KAFKA_CATCH = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });
const pool = new Pool();

export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      try {
        await pool.query('INSERT INTO ledger (id, raw) VALUES ($1, $2) ON CONFLICT DO NOTHING', [\`\${topic}:\${partition}:\${message.offset}\`, message.value!.toString()]);
      } catch {
        console.error('ledger write failed');
      }
    },
  });
}
`;

const BULLMQ_CATCH_RETURN = `import { Worker, type Job } from 'bullmq';

export const worker = new Worker(
  'crm-sync',
  async (job: Job<{ email: string }>) => {
    try {
      await fetch('https://crm.example.com/contacts', { method: 'PUT', body: JSON.stringify(job.data) });
    } catch (e) {
      console.warn('crm sync failed', job.id, e);
      return;
    }
    console.log('synced', job.id);
  },
  { connection: { host: 'redis' } },
);
`;

const NATS_TERM = `import { connect } from 'nats';
import { Pool } from 'pg';

const pool = new Pool();

export async function runBilling(): Promise<void> {
  const nc = await connect();
  const c = await nc.jetstream().consumers.get('ORDERS', 'billing');
  for await (const m of await c.consume()) {
    try {
      await pool.query('INSERT INTO bills (seq) VALUES ($1) ON CONFLICT DO NOTHING', [m.seq]);
      m.ack();
    } catch (err) {
      console.error('billing failed', err);
      m.term();
    }
  }
}
`;

const FINALLY_ACK = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [msg.properties.messageId]);
    } catch (err) {
      console.error(err);
    } finally {
      channel.ack(msg);
    }
  });
}
`;

fixScenarios(
  'swallowed-failure-ack',
  [
    {
      name: 'amqplib: nack with requeue and return at the end of the catch (the ack after the try serves the success path)',
      files: { 'consumer.ts': AMQP_CATCH_LOGS },
      at: 'channel.ack(msg);',
      title: 'Nack the message with requeue on the failure path, for redelivery',
      expected: (text) =>
        text.replace(
          "console.error('order insert failed', err);\n",
          "console.error('order insert failed', err);\n      channel.nack(msg, false, true);\n      return;\n",
        ),
    },
    {
      name: 'amqplib: rethrow from the catch, naming the catch variable',
      files: { 'consumer.ts': AMQP_CATCH_LOGS },
      at: 'channel.ack(msg);',
      title: 'Rethrow the error from the catch',
      expected: (text) =>
        text.replace(
          "console.error('order insert failed', err);\n",
          "console.error('order insert failed', err);\n      throw err;\n",
        ),
    },
    {
      name: 'amqplib: the ack in the catch becomes a nack with requeue',
      files: { 'consumer.ts': AMQP_ACK_IN_CATCH },
      at: 'channel.ack(msg); // give up on it',
      title: 'Nack the message with requeue on the failure path, for redelivery',
      expected: (text) =>
        text.replace('channel.ack(msg); // give up on it', 'channel.nack(msg, false, true); // give up on it'),
    },
    {
      name: 'amqplib: the queue declares a dead-letter exchange, so the ack in the catch can route there',
      files: { 'consumer.ts': AMQP_ACK_IN_CATCH },
      at: 'channel.ack(msg); // give up on it',
      title: 'Route the failed message to the dead-letter exchange (channel.nack(msg, false, false))',
      expected: (text) =>
        text.replace('channel.ack(msg); // give up on it', 'channel.nack(msg, false, false); // give up on it'),
    },
    {
      name: 'amqplib: a dropping nack (no dead-letter exchange) becomes a nack with requeue',
      files: { 'consumer.ts': AMQP_DROP },
      at: 'channel.nack(msg, false, false);',
      title: 'Nack the message with requeue, for redelivery',
      expected: (text) => text.replace('channel.nack(msg, false, false);', 'channel.nack(msg, false, true);'),
    },
    {
      name: 'kafkajs: a catch without a binding gets one, and the rethrow',
      files: { 'consumer.ts': KAFKA_CATCH },
      at: '} catch {',
      title: 'Rethrow the error from the catch so the offset is not committed and the message is retried',
      expected: (text) =>
        text
          .replace('} catch {', '} catch (error) {')
          .replace(
            "console.error('ledger write failed');\n",
            "console.error('ledger write failed');\n        throw error;\n",
          ),
    },
    {
      name: "BullMQ: the catch's bare return becomes the rethrow",
      files: { 'consumer.ts': BULLMQ_CATCH_RETURN },
      at: '} catch (e) {',
      title: 'Rethrow the error from the catch so BullMQ marks the job failed and retries it',
      expected: (text) =>
        text.replace(
          "console.warn('crm sync failed', job.id, e);\n      return;",
          "console.warn('crm sync failed', job.id, e);\n      throw e;",
        ),
    },
    {
      name: 'JetStream: term() becomes nak()',
      files: { 'consumer.ts': NATS_TERM },
      at: 'm.term();',
      title: 'Nak the message for redelivery instead of terminating it',
      expected: (text) => text.replace('m.term();', 'm.nak();'),
    },
  ],
  [
    {
      name: 'an unconditional ack in a finally: neither a rethrow nor a nack in the catch stops it',
      files: { 'consumer.ts': FINALLY_ACK },
      at: 'channel.ack(msg);',
    },
  ],
);
