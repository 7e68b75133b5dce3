/**
 * The unsettled-message quick-fixes (server/src/rules/fixes/settle.ts): settle the message on the
 * path (amqplib, NestJS RMQ, Pub/Sub, Redis streams: before the early return, at the end of a catch
 * that only logs, at the end of the handler) and return the message from an sqs-consumer 14+
 * handler. Applied, compared with the exact text, re-analysed in both modes.
 */
import { fixScenarios } from '../helpers/fix-scenarios';

const SQS_14 = JSON.stringify(
  { name: 'receipts', private: true, dependencies: { 'sqs-consumer': '^14.2.8' } },
  null,
  2,
);

const AMQP_EARLY_RETURN = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { id?: string };
    if (!order.id) {
      console.warn('order without id');
      return;
    }
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [order.id]);
    channel.ack(msg);
  });
}
`;

const AMQP_ONE_LINE_IF = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { id?: string };
    if (!order.id) return;
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [order.id]);
    channel.ack(msg);
  });
}
`;

const AMQP_CATCH_ONLY_LOGS = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const ch = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await ch.consume('orders.placed', async (message) => {
    if (!message) return;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [message.properties.messageId]);
      ch.ack(message);
    } catch (err) {
      console.error('insert failed', err);
    }
  });
}
`;

const AMQP_NO_SETTLE_AT_ALL = `import amqp from 'amqplib';

export async function startAudit(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('audit', async (msg) => {
    if (!msg) return;
    console.log('audit event', msg.content.toString());
  });
}
`;

const PUBSUB_EARLY_RETURN = `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('orders-billing');

subscription.on('message', async (message: Message) => {
  const orderId = message.attributes.orderId;
  if (!orderId) {
    console.warn('no order id');
    return;
  }
  await pool.query('INSERT INTO bills (order_id) VALUES ($1) ON CONFLICT DO NOTHING', [orderId]);
  message.ack();
});
`;

const REDIS_CONTINUE = `import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
type Reply = [stream: string, entries: [id: string, fields: string[]][]][];

export async function consumeOrders(): Promise<void> {
  for (;;) {
    const res = (await redis.xreadgroup('GROUP', 'billing', 'worker-1', 'COUNT', 10, 'STREAMS', 'orders', '>')) as Reply | null;
    if (!res) continue;
    for (const [stream, entries] of res) {
      for (const [id, fields] of entries) {
        await redis.xack(stream, 'billing', id);
        if (fields.length < 2) continue;
        await pool.query('INSERT INTO bills (entry) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
      }
    }
  }
}
`;

const NEST_MAIN = `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

export async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, {
    transport: Transport.RMQ,
    options: { urls: ['amqp://rabbitmq'], queue: 'shipments', noAck: false },
  });
  await app.listen();
}
`;

const NEST_EARLY_RETURN = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { id?: string }, @Ctx() context: RmqContext): Promise<void> {
    if (!data.id) {
      return;
    }
    const channel = context.getChannelRef();
    try {
      await pool.query('INSERT INTO shipments (id) VALUES ($1) ON CONFLICT DO NOTHING', [data.id]);
      channel.ack(context.getMessage());
    } catch (err) {
      channel.nack(context.getMessage(), false, true);
    }
  }
}
`;

const SQS_RETURN = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    if (!message.Body) return;
    await pool.query('INSERT INTO receipts (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [message.MessageId, message.Body]);
    return message;
  },
});
`;

const SQS_FALLS_OFF = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    await pool.query('INSERT INTO receipts (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [message.MessageId, message.Body]);
  },
});
`;

const SQS_BATCH = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = new Consumer({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessageBatch: async (batch) => {
    for (const message of batch) {
      await pool.query('INSERT INTO receipts (id) VALUES ($1) ON CONFLICT DO NOTHING', [message.MessageId]);
    }
  },
});
`;

const SQS_CATCH = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    try {
      await pool.query('INSERT INTO receipts (id) VALUES ($1) ON CONFLICT DO NOTHING', [message.MessageId]);
      return message;
    } catch (err) {
      console.error('receipt failed', err);
    }
  },
});
`;

const AMQP_HELPER = `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';

async function onInvoice(channel: Channel, msg: ConsumeMessage): Promise<void> {
  if (msg.content.length === 0) return;
  channel.ack(msg);
}

export async function startInvoices(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('invoices', async (msg) => {
    if (!msg) return;
    await onInvoice(channel, msg);
  });
}
`;

fixScenarios(
  'unsettled-message',
  [
    {
      name: 'amqplib: nack without requeue before the early return (preferred for bad input)',
      files: { 'consumer.ts': AMQP_EARLY_RETURN },
      at: '      return;',
      title:
        'Reject the message on this path (channel.nack(msg, false, false): dead-lettered if the queue has a dead-letter exchange)',
      expected: (text) =>
        text.replace(
          "console.warn('order without id');\n      return;",
          "console.warn('order without id');\n      channel.nack(msg, false, false);\n      return;",
        ),
    },
    {
      name: 'amqplib: ack before the early return',
      files: { 'consumer.ts': AMQP_EARLY_RETURN },
      at: '      return;',
      title: 'Ack the message on this path (channel.ack(msg); route bad input to a dead-letter queue first)',
      expected: (text) =>
        text.replace(
          "console.warn('order without id');\n      return;",
          "console.warn('order without id');\n      channel.ack(msg);\n      return;",
        ),
    },
    {
      name: 'amqplib: `if (x) return;` becomes a block with the settle',
      files: { 'consumer.ts': AMQP_ONE_LINE_IF },
      at: 'if (!order.id) return;',
      title:
        'Reject the message on this path (channel.nack(msg, false, false): dead-lettered if the queue has a dead-letter exchange)',
      expected: (text) =>
        text.replace('if (!order.id) return;', 'if (!order.id) { channel.nack(msg, false, false); return; }'),
    },
    {
      name: 'amqplib: a catch that only logs gets a nack with requeue, with the names the handler uses',
      files: { 'consumer.ts': AMQP_CATCH_ONLY_LOGS },
      at: '  });',
      title: 'Nack the message for redelivery on this path (ch.nack(message, false, true))',
      expected: (text) =>
        text.replace(
          "console.error('insert failed', err);\n",
          "console.error('insert failed', err);\n      ch.nack(message, false, true);\n",
        ),
    },
    {
      name: 'amqplib: a handler that settles nowhere gets the settle at its end (channel from the consume call)',
      files: { 'consumer.ts': AMQP_NO_SETTLE_AT_ALL },
      at: '  });',
      title: 'Ack the message on this path (channel.ack(msg); route bad input to a dead-letter queue first)',
      expected: (text) =>
        text.replace(
          "console.log('audit event', msg.content.toString());\n",
          "console.log('audit event', msg.content.toString());\n    channel.ack(msg);\n",
        ),
    },
    {
      name: 'Pub/Sub: nack before the early return',
      files: { 'consumer.ts': PUBSUB_EARLY_RETURN },
      at: '    return;',
      title:
        "Nack the message on this path (message.nack(): redelivered, or dead-lettered by the subscription's policy)",
      expected: (text) =>
        text.replace(
          "console.warn('no order id');\n    return;",
          "console.warn('no order id');\n    message.nack();\n    return;",
        ),
    },
    {
      name: "Redis streams: the handler's own xack before the continue",
      files: {
        'consumer.ts': REDIS_CONTINUE.replace(
          "        await redis.xack(stream, 'billing', id);\n        if (fields.length < 2) continue;\n        await pool.query('INSERT INTO bills (entry) VALUES ($1) ON CONFLICT DO NOTHING', [id]);",
          "        if (fields.length < 2) continue;\n        await pool.query('INSERT INTO bills (entry) VALUES ($1) ON CONFLICT DO NOTHING', [id]);\n        await redis.xack(stream, 'billing', id);",
        ),
      },
      at: 'if (fields.length < 2) continue;',
      title:
        "Ack the message on this path (redis.xack(stream, 'billing', id); route bad input to a dead-letter queue first)",
      expected: (text) =>
        text.replace(
          'if (fields.length < 2) continue;',
          "if (fields.length < 2) { await redis.xack(stream, 'billing', id); continue; }",
        ),
    },
    {
      name: 'NestJS RMQ: the channel variable is declared below the return, so the fix goes through the @Ctx() parameter',
      files: { 'consumer.ts': NEST_EARLY_RETURN, 'main.ts': NEST_MAIN, 'app.module.ts': 'export class AppModule {}\n' },
      at: '      return;',
      title:
        'Reject the message on this path (context.getChannelRef().nack(context.getMessage(), false, false): dead-lettered if the queue has a dead-letter exchange)',
      expected: (text) =>
        text.replace(
          '    if (!data.id) {\n      return;',
          '    if (!data.id) {\n      context.getChannelRef().nack(context.getMessage(), false, false);\n      return;',
        ),
    },
    {
      name: 'sqs-consumer 14: `return;` becomes `return message;`',
      files: { 'consumer.ts': SQS_RETURN, 'package.json': SQS_14 },
      at: 'if (!message.Body) return;',
      title: 'Return the message so sqs-consumer deletes it',
      expected: (text) => text.replace('if (!message.Body) return;', 'if (!message.Body) return message;'),
    },
    {
      name: 'sqs-consumer 14: `return message;` at the end of a handler that returns nothing',
      files: { 'consumer.ts': SQS_FALLS_OFF, 'package.json': SQS_14 },
      at: '  },',
      title: 'Return the message so sqs-consumer deletes it',
      expected: (text) =>
        text.replace(
          '[message.MessageId, message.Body]);\n  },',
          '[message.MessageId, message.Body]);\n    return message;\n  },',
        ),
    },
    {
      name: 'sqs-consumer 14 batch: return the messages',
      files: { 'consumer.ts': SQS_BATCH, 'package.json': SQS_14 },
      at: '  },',
      title: 'Return the messages so sqs-consumer deletes them',
      expected: (text) => text.replace('    }\n  },', '    }\n    return batch;\n  },'),
    },
    {
      name: 'sqs-consumer 14: after a failed step, rethrow instead of returning nothing',
      files: { 'consumer.ts': SQS_CATCH, 'package.json': SQS_14 },
      at: '  },',
      title: 'Rethrow the error so sqs-consumer leaves the message for redelivery',
      expected: (text) =>
        text.replace(
          "console.error('receipt failed', err);\n",
          "console.error('receipt failed', err);\n      throw err;\n",
        ),
    },
  ],
  [
    {
      name: 'amqplib: the early return is in a helper; the settle point is not mechanical',
      files: { 'consumer.ts': AMQP_HELPER },
      at: '    await onInvoice(channel, msg);',
    },
  ],
);
