/**
 * The swallowed-failure-ack quick-fixes (server/src/rules/fixes/settle.ts): rethrow from the catch
 * (replacing an ack the catch makes, never following it), nack with requeue on the failure path
 * (amqplib, Pub/Sub), route to the dead-letter exchange, and for a dropping settle, nack with
 * requeue / nak. Applied, compared with the exact text, type-checked and re-analysed. Where the
 * library holds an unsettled message (RabbitMQ, Pub/Sub), a rethrow hands nothing on and is not
 * offered. The wrong fix (a throw after the ack) is checked to stay reported.
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

/** Service Bus with manual completes: the catch logs and completes the message (the failure is lost). */
const SERVICE_BUS_COMPLETE_IN_CATCH = `import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('invoices');

receiver.subscribe(
  {
    processMessage: async (message: ServiceBusReceivedMessage) => {
      try {
        await pool.query('INSERT INTO invoices (id) VALUES ($1) ON CONFLICT DO NOTHING', [message.messageId]);
        await receiver.completeMessage(message);
      } catch (err) {
        console.error('invoice failed', err);
        await receiver.completeMessage(message); // drop it
      }
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`;

/** The same, with a statement after the complete in the catch. */
const SERVICE_BUS_COMPLETE_THEN_LOG = SERVICE_BUS_COMPLETE_IN_CATCH.replace(
  "console.error('invoice failed', err);\n        await receiver.completeMessage(message); // drop it\n",
  "await receiver.completeMessage(message); // drop it\n        console.error('invoice failed', err);\n",
);

/** Pub/Sub: the catch logs, the ack after the try serves both paths. */
const PUBSUB_CATCH_THEN_ACK = `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('orders-billing');

subscription.on('message', async (message: Message) => {
  try {
    await pool.query('INSERT INTO bills (order_id) VALUES ($1) ON CONFLICT DO NOTHING', [message.attributes.orderId]);
  } catch (err) {
    console.error('billing failed', err);
  }
  message.ack();
});
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
      name: 'Service Bus: the complete in the catch becomes the rethrow (not a throw after it)',
      files: { 'consumer.ts': SERVICE_BUS_COMPLETE_IN_CATCH },
      at: 'await receiver.completeMessage(message); // drop it',
      title: 'Rethrow the error from the catch instead of receiver.completeMessage()',
      expected: (text) => text.replace('await receiver.completeMessage(message); // drop it', 'throw err; // drop it'),
    },
    {
      name: 'Service Bus: a complete followed by a log in the catch is taken out, the rethrow ends the catch',
      files: { 'consumer.ts': SERVICE_BUS_COMPLETE_THEN_LOG },
      at: 'await receiver.completeMessage(message); // drop it',
      title: 'Rethrow the error from the catch instead of receiver.completeMessage()',
      expected: (text) =>
        text.replace(
          "await receiver.completeMessage(message); // drop it\n        console.error('invoice failed', err);\n",
          "console.error('invoice failed', err);\n        throw err;\n",
        ),
    },
    {
      name: 'Pub/Sub: nack on the failure path and leave (the ack after the try serves the success path)',
      files: { 'consumer.ts': PUBSUB_CATCH_THEN_ACK },
      at: 'message.ack();',
      title: 'Nack the message with requeue on the failure path, for redelivery',
      expected: (text) =>
        text.replace(
          "console.error('billing failed', err);\n",
          "console.error('billing failed', err);\n    message.nack();\n    return;\n",
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
    {
      name: 'amqplib: no rethrow (RabbitMQ holds the unacked message; the throw is an unhandled rejection)',
      files: { 'consumer.ts': AMQP_CATCH_LOGS },
      at: 'channel.ack(msg);',
      notOffered: ['Rethrow the error from the catch'],
    },
    {
      name: 'amqplib: no rethrow for an ack in the catch either',
      files: { 'consumer.ts': AMQP_ACK_IN_CATCH },
      at: 'channel.ack(msg); // give up on it',
      notOffered: ['Rethrow the error from the catch', 'Rethrow the error from the catch instead of channel.ack()'],
    },
    {
      name: 'Pub/Sub: no rethrow (the client holds the unacked message and extends its lease)',
      files: { 'consumer.ts': PUBSUB_CATCH_THEN_ACK },
      at: 'message.ack();',
      notOffered: ['Rethrow the error from the catch'],
    },
  ],
);
