/**
 * unsettled-message (docs/rules/unsettled-message.md): on a broker that holds unsettled messages instead of
 * retrying them (amqplib and NestJS RMQ in manual-ack mode, Pub/Sub, Redis streams, sqs-consumer
 * 14+), a path completes normally without settling: an early return, falling off the end, a catch
 * that only logs. Reported on the path's exit: the return/continue, or the handler's closing brace.
 * Not SQS receive loops, JetStream, Service Bus or Kafka (not settling is their timed retry).
 *
 * sqs-consumer's version comes from the nearest package.json that declares it, so every
 * sqs-consumer case brings its own. Every case runs typed and untyped.
 */
import { type ExpectedFinding, type InvalidRuleTestCase, ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';

const RULE = 'unsettled-message';

/** The line of the last line of `code` that is exactly `text` (a closing brace). */
function lastLineExactly(code: string, text: string): number {
  const lines = code.split('\n');
  for (let index = lines.length - 1; index >= 0; index--) if (lines[index] === text) return index + 1;
  throw new Error(`no line ${JSON.stringify(text)}`);
}

/** What the finding of a case says: its message id and the data it names. */
type Expected = Pick<ExpectedFinding, 'messageId' | 'data' | 'message'>;

function invalid(
  name: string,
  code: string,
  line: number,
  expected: Expected,
  extra: Partial<InvalidRuleTestCase> = {},
): InvalidRuleTestCase {
  return { name, code, errors: [{ line, ...expected, severity: 'error', related: 1 }], ...extra };
}

function packageJson(range: string): string {
  return JSON.stringify({ name: 'svc', private: true, dependencies: { 'sqs-consumer': range } }, null, 2);
}

/** A wrapper that acks only when its options say so; the payload, not the message, goes on. */
const PUBSUB_CONFIGURED_ACK = `import { PubSub, type Message } from '@google-cloud/pubsub';

export interface ListenOptions {
  autoAck?: boolean;
  onData?: (data: string) => void;
}

export function listen(name: string, options: ListenOptions): void {
  new PubSub().subscription(name).on('message', (message: Message) => {
    if (options.autoAck !== false) {
      message.ack();
    }
    options.onData?.(message.data.toString());
  });
}
`;

const NEST_RMQ_MAIN = `import { NestFactory } from '@nestjs/core';
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

const NEST_RMQ_AUTO_MAIN = NEST_RMQ_MAIN.replace(', noAck: false', '');
const APP_MODULE = `export class AppModule {}
`;

// ---- amqplib ---------------------------------------------------------------------------------

const A_EARLY_RETURN = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { id?: string };
    if (!order.id) {
      console.warn('order without id, skipping');
      return;
    }
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [order.id]);
    channel.ack(msg);
  });
}
`;

const A_FALLS_OFF_END = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (msg === null) return;
    const order = JSON.parse(msg.content.toString()) as { id: string; status: string };
    if (order.status === 'PLACED') {
      await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [order.id]);
      channel.ack(msg);
    }
  });
}
`;

// The consumer waits for the reply to one request: a message for any other request is left as it is.
const A_REPLY_UNDER_IF_MSG = `import amqp from 'amqplib';

export async function waitForReply(correlationId: string): Promise<unknown> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  return new Promise((resolve) => {
    void channel.consume('replies', (msg) => {
      if (msg) {
        const reply = JSON.parse(msg.content.toString()) as { correlationId: string };
        if (reply.correlationId === correlationId) {
          resolve(reply);
          channel.ack(msg);
        }
      }
    });
  });
}
`;

const A_CATCH_ONLY_LOGS = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [msg.properties.messageId]);
      channel.ack(msg);
    } catch (err) {
      console.error('insert failed', err);
    }
  });
}
`;

const A_NAMED_HANDLER_EARLY_RETURN = `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function onInvoice(channel: Channel, msg: ConsumeMessage): Promise<void> {
  const invoice = JSON.parse(msg.content.toString()) as { id: string; total: number };
  if (invoice.total <= 0) return;
  await pool.query('INSERT INTO invoices (id, total) VALUES ($1, $2) ON CONFLICT DO NOTHING', [invoice.id, invoice.total]);
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

const REDIS_DISPATCH_NO_HANDLER = `import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
type Reply = [stream: string, entries: [id: string, fields: string[]][]][];
const handlers = new Map<string, (body: string) => Promise<void>>();

async function dispatch(id: string, fields: string[]): Promise<void> {
  const handler = handlers.get(fields[1]);
  if (handler) {
    await pool.query('INSERT INTO events (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [id, fields[3]]);
    await redis.xack('events', 'workers', id);
  } else {
    console.warn('no handler for', fields[1]);
  }
}

export async function consume(): Promise<void> {
  for (;;) {
    const res = (await redis.xreadgroup('GROUP', 'workers', 'w-1', 'COUNT', 10, 'STREAMS', 'events', '>')) as Reply | null;
    if (!res) continue;
    for (const [, entries] of res) {
      for (const [id, fields] of entries) {
        await dispatch(id, fields);
      }
    }
  }
}
`;

// ---- NestJS RMQ ------------------------------------------------------------------------------

const NEST_EARLY_RETURN = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { id?: string }, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    const message = context.getMessage();
    if (!data.id) return;
    try {
      await pool.query('INSERT INTO shipments (id) VALUES ($1) ON CONFLICT DO NOTHING', [data.id]);
      channel.ack(message);
    } catch (err) {
      channel.nack(message, false, true);
    }
  }
}
`;

const NEST_MISSING_CONTEXT_THROWS = `import { Controller, Injectable } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Injectable()
export class ChatStore {
  async store(data: { id: string }, context: RmqContext): Promise<void> {
    if (!context.getChannelRef() || !context.getMessage()) {
      throw new Error('Channel or message is undefined');
    }
    const channel = context.getChannelRef();
    const original = context.getMessage();
    try {
      await pool.query('INSERT INTO chats (id) VALUES ($1) ON CONFLICT DO NOTHING', [data.id]);
      channel.ack(original);
    } catch (err) {
      channel.nack(original);
    }
  }
}

@Controller()
export class ChatController {
  constructor(private readonly chats: ChatStore) {}

  @EventPattern('chat.message')
  async onChat(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    await this.chats.store(data, context);
  }
}
`;

const NEST_RETHROW = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    try {
      await pool.query('INSERT INTO shipments (id) VALUES ($1) ON CONFLICT DO NOTHING', [data.id]);
      context.getChannelRef().ack(context.getMessage());
    } catch (err) {
      console.error('shipment failed', err);
      throw err;
    }
  }
}
`;

const NEST_UNGUARDED_AWAIT = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    await pool.query('INSERT INTO shipments (id) VALUES ($1) ON CONFLICT DO NOTHING', [data.id]);
    context.getChannelRef().ack(context.getMessage());
  }
}
`;

/** Manual ack with a retry path: the catch re-publishes (amqplib's synchronous publish) and acks. */
const NEST_REPUBLISH_IN_CATCH = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    const message = context.getMessage();
    try {
      await pool.query('INSERT INTO shipments (id) VALUES ($1) ON CONFLICT DO NOTHING', [data.id]);
      channel.ack(message);
    } catch (err) {
      console.error('shipment failed, retrying', err);
      channel.publish('', 'shipments.retry', message.content, { persistent: true });
      channel.ack(message);
    }
  }
}
`;

/** The send's failure is caught in the service (it reports a status), so nothing escapes the handler. */
const NEST_CAUGHT_DEEPER = `import { Controller, Injectable } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import nodemailer from 'nodemailer';

const mailer = nodemailer.createTransport({ host: 'smtp.internal' });

@Injectable()
export class Mailer {
  async notify(to: string): Promise<'sent' | 'failed'> {
    try {
      await mailer.sendMail({ to, subject: 'Shipped', text: 'Your parcel is on its way' });
      return 'sent';
    } catch (err) {
      console.warn('mail failed', err);
      return 'failed';
    }
  }
}

@Controller()
export class ShipmentsController {
  constructor(private readonly mailer: Mailer) {}

  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { email: string }, @Ctx() context: RmqContext): Promise<void> {
    const status = await this.mailer.notify(data.email);
    if (status === 'failed') context.getChannelRef().nack(context.getMessage(), false, true);
    else context.getChannelRef().ack(context.getMessage());
  }
}
`;

/** Each send settles inside Promise.allSettled: a rejection is a result, not an exception. */
const NEST_ALL_SETTLED = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import nodemailer from 'nodemailer';

const mailer = nodemailer.createTransport({ host: 'smtp.internal' });

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { emails: string[] }, @Ctx() context: RmqContext): Promise<void> {
    const results = await Promise.allSettled(
      data.emails.map((to) => mailer.sendMail({ to, subject: 'Shipped', text: 'On its way' })),
    );
    const failed = results.filter((result) => result.status === 'rejected');
    if (failed.length) context.getChannelRef().nack(context.getMessage(), false, true);
    else context.getChannelRef().ack(context.getMessage());
  }
}
`;

/** A payload check in a helper with no effects throws before any settle: Nest catches it, the message stays unacked. */
const NEST_THROWING_HELPER = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

function recipientOf(data: { recipient?: string }): string {
  if (!data.recipient) {
    throw new Error('the event has no recipient');
  }
  return data.recipient;
}

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { recipient?: string }, @Ctx() context: RmqContext): Promise<void> {
    const recipient = recipientOf(data);
    try {
      await pool.query('INSERT INTO notices (recipient) VALUES ($1) ON CONFLICT DO NOTHING', [recipient]);
      context.getChannelRef().ack(context.getMessage());
    } catch (err) {
      context.getChannelRef().nack(context.getMessage(), false, true);
    }
  }
}
`;

/** No channel or message in the context: nothing to settle, so the throw leaves nothing held. */
const NEST_NO_CHANNEL_THROW = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    if (!context.getChannelRef() || !context.getMessage()) {
      throw new Error('Channel or message is undefined');
    }
    const channel = context.getChannelRef();
    try {
      await pool.query('INSERT INTO shipments (id) VALUES ($1) ON CONFLICT DO NOTHING', [data.id]);
      channel.ack(context.getMessage());
    } catch (err) {
      channel.nack(context.getMessage());
    }
  }
}
`;

// ---- Pub/Sub and Redis streams --------------------------------------------------------------

const PUBSUB_EARLY_RETURN = `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('orders-billing');

subscription.on('message', async (message: Message) => {
  const orderId = message.attributes.orderId;
  if (!orderId) return;
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
        if (fields.length < 2) continue;
        await pool.query('INSERT INTO bills (entry) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
        await redis.xack(stream, 'billing', id);
      }
    }
  }
}
`;

// ---- sqs-consumer 14+ ------------------------------------------------------------------------

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

const SQS_EARLY_RETURN = `import { Consumer } from 'sqs-consumer';
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

const SQS_BATCH = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = new Consumer({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessageBatch: async (messages) => {
    for (const message of messages) {
      await pool.query('INSERT INTO receipts (id) VALUES ($1) ON CONFLICT DO NOTHING', [message.MessageId]);
    }
  },
});
`;

ruleTester(RULE, {
  valid: [
    {
      name: 'amqplib: a .catch(log) on a method whose own try/catch settles every path: nothing is left unsettled',
      code: `import * as amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export class OrderConsumer {
  private channel?: amqp.Channel;

  async start(): Promise<void> {
    await this.channel!.consume('orders', (msg) => {
      if (!msg) return;
      this.processMessage(msg).catch((error) => {
        console.error('unhandled', error);
      });
    }, { noAck: false });
  }

  private async processMessage(msg: amqp.ConsumeMessage): Promise<void> {
    try {
      const order = JSON.parse(msg.content.toString());
      await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [order.id]);
      this.channel?.ack(msg);
    } catch (error) {
      console.error('failed', error);
      this.channel?.nack(msg, false, true);
    }
  }
}
`,
    },
    {
      name: 'amqplib: bad input is nacked without requeue, the rest acked; the null message of a cancelled consumer is not settled',
      code: A_EARLY_RETURN.replace(
        "console.warn('order without id, skipping');",
        "console.warn('order without id, dead-lettering');\n      channel.nack(msg, false, false);",
      ),
    },
    {
      name: 'amqplib: the work runs under if (msg); the path without a message has nothing to settle',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (msg) {
      await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [msg.properties.messageId]);
      channel.ack(msg);
    }
  });
}
`,
    },
    {
      name: 'NestJS RMQ (noAck: false): a throw when the channel or the message is missing has nothing to settle',
      files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE },
      code: NEST_MISSING_CONTEXT_THROWS,
    },
    {
      name: 'Pub/Sub: the handler hands the message to a batcher that keeps it for a later settle',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';

class Batcher {
  private readonly buffer: { message: Message; at: number }[] = [];

  add(message: Message): void {
    this.buffer.push({ message, at: Date.now() });
  }
}

const batcher = new Batcher();

new PubSub().subscription('clicks').on('message', (message: Message) => {
  batcher.add(message);
});
`,
    },
    {
      name: 'Pub/Sub: a library wrapper acks unless told not to, and hands the wrapped message to a callback of its options',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';

class ReceivedEvent {
  constructor(readonly original: Message) {}
}

export interface ListenOptions {
  autoAck?: boolean;
  onMessage?: (event: ReceivedEvent) => void;
}

export function listen(name: string, options: ListenOptions): void {
  new PubSub().subscription(name).on('message', (message: Message) => {
    const event = new ReceivedEvent(message);
    if (options.autoAck !== false) message.ack();
    options.onMessage?.(event);
  });
}
`,
    },
    {
      name: 'Pub/Sub: a wrapper acks only when the options it is given ask for it (the callers decide)',
      code: PUBSUB_CONFIGURED_ACK,
    },
    {
      name: 'amqplib: a class acks only when its own autoAck field, set by its constructor, is on',
      code: `import amqp from 'amqplib';

export class Worker {
  constructor(private readonly autoAck: boolean) {}

  async start(queue: string): Promise<void> {
    const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
    await channel.consume(queue, (msg) => {
      if (!msg) return;
      console.log('received', msg.content.length);
      if (this.autoAck) channel.ack(msg);
    });
  }
}
`,
    },
    {
      name: 'amqplib: a null message (the consumer cancelled) tested with a null predicate, in the catch too',
      code: `import amqp, { type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();
const isNull = (value: unknown): value is null => value === null;

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders', async (msg: ConsumeMessage | null) => {
    try {
      if (isNull(msg)) throw new Error('consumer cancelled');
      await pool.query('UPDATE orders SET state = $1 WHERE id = $2', ['seen', msg.properties.messageId]);
      channel.ack(msg);
    } catch (error) {
      if (isNull(msg)) return;
      console.error(error);
      channel.nack(msg, false, true);
    }
  });
}
`,
    },
    {
      name: 'Pub/Sub: a defensive null predicate on the message returns with nothing to settle',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const isNil = (value: unknown): value is null | undefined => value === null || value === undefined;

export function listen(): void {
  new PubSub().subscription('ledger').on('message', async (message: Message | undefined) => {
    if (isNil(message)) return;
    await pool.query('INSERT INTO ledger (id, body) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [
      message.id,
      message.data.toString(),
    ]);
    message.ack();
  });
}
`,
    },
    {
      name: 'amqplib: acked when the handler object asks for it and the wrapped message carries an ack',
      code: `import amqp from 'amqplib';

interface Delivery {
  body: string;
  ack?: () => void;
}

export class Subscription {
  constructor(private readonly handler: { options?: { ack?: boolean }; process(body: string): Promise<void> }) {}

  async start(queue: string): Promise<void> {
    const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
    await channel.consume(queue, (raw) => {
      if (!raw) return;
      void this.deliver({ body: raw.content.toString(), ack: () => channel.ack(raw) });
    });
  }

  private async deliver(delivery: Delivery): Promise<void> {
    await this.handler.process(delivery.body);
    if (this.handler?.options?.ack && delivery?.ack) delivery.ack();
  }
}
`,
    },
    {
      name: 'amqplib: the message is kept in a map of pending replies, acked when the reply comes',
      code: `import amqp, { type ConsumeMessage } from 'amqplib';

const pending = new Map<string, ConsumeMessage>();

export async function startRequests(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('requests', (msg) => {
    if (!msg) return;
    pending.set(String(msg.properties.correlationId), msg);
  });
}
`,
    },
    {
      name: 'amqplib: noAck: true (nothing to settle)',
      code: A_EARLY_RETURN.replace('    channel.ack(msg);\n  });', '  }, { noAck: true });'),
    },
    {
      name: 'amqplib: a throw escapes the handler (the failure path, not this rule)',
      code: A_EARLY_RETURN.replace(
        "console.warn('order without id, skipping');\n      return;",
        "throw new Error('order without id');",
      ),
    },
    {
      name: 'amqplib: every branch of a switch settles, the default nacks',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startEvents(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('customer.events', async (msg) => {
    if (!msg) return;
    const event = JSON.parse(msg.content.toString()) as { type: string; id: string };
    switch (event.type) {
      case 'created':
        await pool.query('INSERT INTO customers (id) VALUES ($1) ON CONFLICT DO NOTHING', [event.id]);
        channel.ack(msg);
        break;
      case 'deleted':
        await pool.query('DELETE FROM customers WHERE id = $1', [event.id]);
        channel.ack(msg);
        break;
      default:
        channel.nack(msg, false, false);
    }
  });
}
`,
    },
    {
      name: 'kafkajs: an early return is fine (the offset is committed; not a held-message broker)',
      code: `import { Kafka } from 'kafkajs';

const consumer = new Kafka({ clientId: 'x', brokers: ['kafka:9092'] }).consumer({ groupId: 'x' });

export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      console.log(message.value.toString());
    },
  });
}
`,
    },
    {
      name: 'SQS receive loop: continue without a delete is the visibility-timeout retry',
      code: `import { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-placed';

export async function poll(): Promise<void> {
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
    for (const m of Messages ?? []) {
      if (!m.Body) continue;
      console.log(m.Body);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}
`,
    },
    {
      name: 'JetStream: continue without an ack is redelivered after ack_wait',
      code: `import { connect } from 'nats';

export async function runBilling(): Promise<void> {
  const nc = await connect();
  const c = await nc.jetstream().consumers.get('ORDERS', 'billing');
  for await (const m of await c.consume()) {
    if (m.data.length === 0) continue;
    console.log(m.string());
    m.ack();
  }
}
`,
    },
    {
      name: 'Service Bus manual complete: an early return is redelivered when the lock expires',
      code: `import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';

const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('invoices');

receiver.subscribe(
  {
    processMessage: async (message: ServiceBusReceivedMessage) => {
      if (!message.body) return;
      console.log(message.body);
      await receiver.completeMessage(message);
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`,
    },
    {
      name: 'Pub/Sub: bad input is nacked, the rest acked',
      code: PUBSUB_EARLY_RETURN.replace(
        'if (!orderId) return;',
        'if (!orderId) {\n    message.nack();\n    return;\n  }',
      ),
    },
    {
      name: 'Redis streams: bad entries are acked after being logged',
      code: REDIS_CONTINUE.replace(
        'if (fields.length < 2) continue;',
        "if (fields.length < 2) {\n          await redis.xack(stream, 'billing', id);\n          continue;\n        }",
      ),
    },
    {
      name: 'NestJS RMQ (noAck: false): a synchronous re-publish in the catch does not throw',
      files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE },
      code: NEST_REPUBLISH_IN_CATCH,
    },
    {
      name: 'NestJS RMQ (noAck: false): the send fails inside a service that catches it: nothing escapes',
      files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE },
      code: NEST_CAUGHT_DEEPER,
    },
    {
      name: 'NestJS RMQ (noAck: false): sends inside Promise.allSettled do not throw',
      files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE },
      code: NEST_ALL_SETTLED,
    },
    {
      name: 'NestJS RMQ (noAck: false): a throw when the context has no channel or message has nothing to settle',
      files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE },
      code: NEST_NO_CHANNEL_THROW,
    },
    {
      name: 'NestJS RMQ with the default noAck (auto-ack): an early return settles nothing and needs not',
      files: { 'main.ts': NEST_RMQ_AUTO_MAIN, 'app.module.ts': APP_MODULE },
      code: NEST_EARLY_RETURN.replace(
        /\n {4}const channel = context\.getChannelRef\(\);\n {4}const message = context\.getMessage\(\);/,
        '',
      )
        .replace('      channel.ack(message);\n', '')
        .replace('      channel.nack(message, false, true);\n', '      console.error(err);\n'),
    },
    {
      name: 'sqs-consumer 14: every path returns the message',
      files: { 'package.json': packageJson('^14.2.8') },
      code: SQS_EARLY_RETURN.replace('if (!message.Body) return;', 'if (!message.Body) return message;'),
    },
    {
      name: 'sqs-consumer 14 with alwaysAcknowledge: true deletes on resolve',
      files: { 'package.json': packageJson('^14.0.0') },
      code: SQS_FALLS_OFF.replace('  handleMessage: async', '  alwaysAcknowledge: true,\n  handleMessage: async'),
    },
    {
      name: 'sqs-consumer 13 deletes on resolve',
      files: { 'package.json': packageJson('~13.1.0') },
      code: SQS_FALLS_OFF,
    },
    {
      name: 'sqs-consumer with a version range that names no major (latest): unknown, quiet',
      files: { 'package.json': packageJson('latest') },
      code: SQS_FALLS_OFF,
    },
    {
      name: 'sqs-consumer 15: a failure thrown to the library is its retry, not an unsettled path',
      files: { 'package.json': packageJson('15.x') },
      code: SQS_EARLY_RETURN.replace('if (!message.Body) return;', "if (!message.Body) throw new Error('empty body');"),
    },
    {
      name: 'sqs-consumer 14 batch handler returns the messages',
      files: { 'package.json': packageJson('>=14') },
      code: SQS_BATCH.replace('    }\n  },', '    }\n    return messages;\n  },'),
    },
  ],

  invalid: [
    invalid(
      'amqplib: an early return on bad input leaves the message unacked',
      A_EARLY_RETURN,
      lineOf(A_EARLY_RETURN, '      return;'),
      { messageId: 'exitUnsettled', data: ["amqplib consumer of queue 'orders.placed'", 'prefetch'] },
    ),
    invalid(
      'amqplib: logging the whole message hands it to nobody; the early return leaves it unacked',
      A_EARLY_RETURN.replace(
        "console.warn('order without id, skipping');",
        "console.warn('order without id, skipping', msg);",
      ),
      lineOf(A_EARLY_RETURN, '      return;'),
      { messageId: 'exitUnsettled' },
    ),
    invalid(
      'amqplib: the handler falls off its end when the status is not PLACED',
      A_FALLS_OFF_END,
      lastLineExactly(A_FALLS_OFF_END, '  });'),
      { messageId: 'exitUnsettled', data: 'reaches its end' },
    ),
    invalid(
      'amqplib: under if (msg), a reply for another request is neither acked nor nacked',
      A_REPLY_UNDER_IF_MSG,
      lastLineExactly(A_REPLY_UNDER_IF_MSG, '    });'),
      { messageId: 'exitUnsettled', data: 'reaches its end' },
    ),
    invalid(
      'amqplib: a catch that only logs, then the end of the handler',
      A_CATCH_ONLY_LOGS,
      lastLineExactly(A_CATCH_ONLY_LOGS, '  });'),
      { messageId: 'exitUnsettledAfterFailure', data: 'after the catch on line 13' },
    ),
    invalid(
      'amqplib: a helper returns early, then the handler reaches its end (reported on the call into the helper)',
      A_NAMED_HANDLER_EARLY_RETURN,
      lineOf(A_NAMED_HANDLER_EARLY_RETURN, 'await onInvoice(channel, msg);'),
      { messageId: 'exitUnsettled', data: ["amqplib consumer of queue 'invoices'", 'after onInvoice() returns'] },
    ),
    invalid(
      'Redis streams: the loop body calls a dispatcher whose no-handler branch only warns (reported on the call)',
      REDIS_DISPATCH_NO_HANDLER,
      lineOf(REDIS_DISPATCH_NO_HANDLER, 'await dispatch(id, fields);'),
      { messageId: 'exitUnsettled', data: 'after dispatch() returns' },
    ),
    invalid(
      'amqplib: work after the helper returns, then the end: reported on the closing brace',
      A_NAMED_HANDLER_EARLY_RETURN.replace(
        'await onInvoice(channel, msg);',
        "await onInvoice(channel, msg);\n    await pool.query('UPDATE counters SET seen = seen + 1');",
      ),
      lastLineExactly(A_NAMED_HANDLER_EARLY_RETURN, '  });') + 1,
      { messageId: 'exitUnsettled', data: 'the handler reaches its end' },
    ),
    invalid(
      'NestJS RMQ (noAck: false): an early return on bad input',
      NEST_EARLY_RETURN,
      lineOf(NEST_EARLY_RETURN, 'if (!data.id) return;'),
      { messageId: 'exitUnsettled', data: 'nestjs-microservices consumer' },
      { files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE } },
    ),
    invalid(
      'NestJS RMQ (noAck: false): a throw on a missing payload field is not a missing message',
      NEST_MISSING_CONTEXT_THROWS.replace('if (!context.getChannelRef() || !context.getMessage())', 'if (!data.id)'),
      lineOf(NEST_MISSING_CONTEXT_THROWS, "throw new Error('Channel or message is undefined');"),
      { messageId: 'throwUnsettled' },
      { files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE } },
    ),
    invalid(
      'NestJS RMQ (noAck: false): a rethrow leaves the message unacked (Nest catches the exception)',
      NEST_RETHROW,
      lineOf(NEST_RETHROW, 'throw err;'),
      { messageId: 'throwUnsettledAfterFailure', data: 'Nest' },
      { files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE } },
    ),
    invalid(
      'NestJS RMQ (noAck: false): an awaited write outside any try; if it throws the message is never settled',
      NEST_UNGUARDED_AWAIT,
      lineOf(NEST_UNGUARDED_AWAIT, 'await pool.query('),
      { messageId: 'exceptionUnsettled' },
      { files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE } },
    ),
    invalid(
      'NestJS RMQ (noAck: false): an explicit throw in an effect-free helper before any settle',
      NEST_THROWING_HELPER,
      lineOf(NEST_THROWING_HELPER, "throw new Error('the event has no recipient');"),
      { messageId: 'throwUnsettled', data: 'Nest' },
      { files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE } },
    ),
    invalid(
      'Pub/Sub: an early return holds the message while the lease is extended',
      PUBSUB_EARLY_RETURN,
      lineOf(PUBSUB_EARLY_RETURN, 'if (!orderId) return;'),
      { messageId: 'exitUnsettled', data: 'Pub/Sub holds' },
    ),
    invalid(
      'Pub/Sub: an ack under a condition on the message itself is not configuration',
      PUBSUB_CONFIGURED_ACK.replace('options.autoAck !== false', "message.attributes.kind === 'order'"),
      lastLineExactly(PUBSUB_CONFIGURED_ACK, '  });'),
      { messageId: 'exitUnsettled', data: 'reaches its end' },
    ),
    invalid(
      'Pub/Sub: an ack under a condition on a value the handler computes is not configuration',
      PUBSUB_CONFIGURED_ACK.replace(
        '    if (options.autoAck !== false) {',
        '    const fresh = Date.now() - message.publishTime.getTime() < 60_000;\n    if (fresh) {',
      ),
      lastLineExactly(PUBSUB_CONFIGURED_ACK, '  });') + 1,
      { messageId: 'exitUnsettled', data: 'reaches its end' },
    ),
    invalid(
      'Redis streams: continue without xack leaves the entry pending',
      REDIS_CONTINUE,
      lineOf(REDIS_CONTINUE, 'if (fields.length < 2) continue;'),
      { messageId: 'exitUnsettled', data: 'pending list' },
    ),
    invalid(
      'sqs-consumer 14: the handler resolves without returning the message',
      SQS_FALLS_OFF,
      lastLineExactly(SQS_FALLS_OFF, '  },'),
      { messageId: 'notReturned', data: ['message', 'never deleted'] },
      { files: { 'package.json': packageJson('^14.2.8') } },
    ),
    invalid(
      'sqs-consumer 15 (devDependencies): an early return without the message',
      SQS_EARLY_RETURN,
      lineOf(SQS_EARLY_RETURN, 'if (!message.Body) return;'),
      { messageId: 'notReturned', data: ['this return', 'message'] },
      {
        files: { 'package.json': JSON.stringify({ name: 'svc', devDependencies: { 'sqs-consumer': '15.0.3' } }) },
      },
    ),
    invalid(
      'sqs-consumer 14 batch handler returns nothing',
      SQS_BATCH,
      lastLineExactly(SQS_BATCH, '  },'),
      { messageId: 'notReturned', data: 'messages' },
      { files: { 'package.json': packageJson('>=14.0.0') } },
    ),
  ],
});
