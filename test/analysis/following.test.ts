/**
 * Following the work from the handler into the project's code, and judging its order and
 * awaitedness (docs/model.md, "Order" and "Transactions"): callbacks passed to project helpers
 * and context runners, un-awaited scopes judged against the settle they hold, promises returned
 * by non-async helpers when types are absent, arrays of promises awaited later.
 *
 * Every case runs typed (node_modules types resolve) and untyped (no node_modules at all).
 */
import { ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';

// ---- un-awaited scopes that hold the settle ------------------------------------------------------

/** The consume callback starts `process(msg)` without await; `process` awaits the insert, then acks. */
const DETACHED_PROCESS_ACKS = `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

class InvoiceWorker {
  constructor(private readonly channel: Channel) {}

  start(): void {
    void this.channel.consume('invoices', (msg) => {
      if (!msg) return;
      this.process(msg).catch((error) => console.error('unexpected', error));
    });
  }

  private async process(msg: ConsumeMessage): Promise<void> {
    try {
      const invoice = JSON.parse(msg.content.toString()) as { id: string; total: number };
      console.log('invoice', invoice.id);
      await pool.query('INSERT INTO invoice_log (received_at) VALUES (now())');
      this.channel.ack(msg);
    } catch {
      this.channel.nack(msg, false, true);
    }
  }
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  new InvoiceWorker(channel).start();
}
`;

/** The dropped scope only nacks on failure: the handler's own ack does not wait for its insert. */
const DETACHED_NACK_ONLY = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function store(id: string): Promise<void> {
  await pool.query('INSERT INTO receipts (id) VALUES ($1)', [id]);
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('receipts', (msg) => {
    if (!msg) return;
    const id = msg.content.toString();
    store(id).catch(() => channel.nack(msg, false, true));
    channel.ack(msg);
  });
}
`;

// ---- non-async helpers that return a library promise -----------------------------------------

const AUDIT_HELPER = `import { Pool } from 'pg';

const pool = new Pool();

export function recordAudit(accountId: string, actor: string) {
  return pool.query('INSERT INTO audit_log (account_id, actor) VALUES ($1, $2)', [accountId, actor]);
}
`;

const DROPS_UNTYPED_HELPER = `import amqp from 'amqplib';
import { recordAudit } from './audit';

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('accounts', async (msg) => {
    if (!msg) return;
    const change = JSON.parse(msg.content.toString()) as { accountId: string; actor: string };
    recordAudit(change.accountId, change.actor);
    channel.ack(msg);
  });
}
`;

// ---- arrays of promises awaited later --------------------------------------------------------

const MAPPED_THEN_AWAITED = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const consumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123/shipments',
  handleMessageBatch: async (messages) => {
    const pending = messages.map(async (message) => {
      const shipment = JSON.parse(message.Body ?? '{}') as { id: string };
      await pool.query('UPDATE shipments SET status = $1 WHERE id = $2', ['sent', shipment.id]);
    });
    await Promise.all(pending);
    return messages;
  },
});
`;

const PUSHED_THEN_AWAITED = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const consumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123/stock',
  handleMessage: async (message) => {
    const event = JSON.parse(message.Body ?? '{}') as { sku: string; warehouses: string[] };
    const writes = [];
    for (const warehouse of event.warehouses) {
      writes.push(pool.query('UPDATE stock SET synced = true WHERE sku = $1 AND warehouse = $2', [event.sku, warehouse]));
    }
    await Promise.all(writes);
    return message;
  },
});
`;

// ---- callbacks passed to project helpers and context runners -----------------------------------

const RETRY_HELPER = `export async function withRetry<T>(operation: () => Promise<T>, attempts = 3): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await operation();
    } catch (error) {
      last = error;
    }
  }
  throw last;
}
`;

const CALLBACK_TO_HELPER = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { withRetry } from './retry';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const entry = JSON.parse(message.value!.toString()) as { account: string; cents: number };
      await withRetry(() =>
        pool.query('INSERT INTO ledger_entries (account, cents) VALUES ($1, $2)', [entry.account, entry.cents]),
      );
    },
  });
}
`;

const TENANT_CONTEXT = `import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<{ tenant: string }>();

export function runWithTenant<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
  return storage.run({ tenant }, fn);
}
`;

const CONTEXT_RUNNER = `import amqp from 'amqplib';
import { Pool } from 'pg';
import { runWithTenant } from './tenant';

const pool = new Pool();

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const signup = JSON.parse(msg.content.toString()) as { tenant: string; email: string };
    await runWithTenant(signup.tenant, async () => {
      channel.ack(msg);
      await pool.query('INSERT INTO members (email) VALUES ($1)', [signup.email]);
    });
  });
}
`;

// ---- interface-typed dependencies and abstract methods ------------------------------------------

const NOTIFIER = `export interface Notifier {
  notify(customerId: string, text: string): Promise<void>;
}

export class WebhookNotifier implements Notifier {
  constructor(private readonly url: string) {}

  async notify(customerId: string, text: string): Promise<void> {
    await fetch(this.url, { method: 'POST', body: JSON.stringify({ customerId, text }) });
  }
}

/** Declared, never constructed: not what runs. */
export class SmsNotifier implements Notifier {
  async notify(customerId: string, text: string): Promise<void> {
    await fetch('https://sms.example.com/send', { method: 'POST', body: JSON.stringify({ customerId, text }) });
  }
}
`;

const INTERFACE_DEPENDENCY = `import amqp, { type Channel } from 'amqplib';
import { type Notifier, WebhookNotifier } from './notifier';

class ShippingConsumer {
  constructor(
    private readonly channel: Channel,
    private readonly notifier: Notifier,
  ) {}

  async start(): Promise<void> {
    await this.channel.consume('shipped', async (msg) => {
      if (!msg) return;
      const event = JSON.parse(msg.content.toString()) as { customerId: string };
      await this.notifier.notify(event.customerId, 'your parcel is on its way');
      this.channel.ack(msg);
    });
  }
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await new ShippingConsumer(channel, new WebhookNotifier('https://hooks.example.com/shipped')).start();
}
`;

const NEVER_CONSTRUCTED = `import amqp from 'amqplib';
import type { Notifier } from './notifier';

declare const notifier: Notifier;

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('shipped', async (msg) => {
    if (!msg) return;
    const event = JSON.parse(msg.content.toString()) as { customerId: string };
    await notifier.notify(event.customerId, 'your parcel is on its way');
    channel.ack(msg);
  });
}
`;

const UNUSED_NOTIFIER = `export interface Notifier {
  notify(customerId: string, text: string): Promise<void>;
}

/** Declared, never constructed: not what runs. */
export class SmsNotifier implements Notifier {
  async notify(customerId: string, text: string): Promise<void> {
    await fetch('https://sms.example.com/send', { method: 'POST', body: JSON.stringify({ customerId, text }) });
  }
}
`;

const BASE_CONSUMER = `import type { Channel } from 'amqplib';

export abstract class QueueConsumer<T> {
  constructor(
    protected readonly channel: Channel,
    private readonly queue: string,
  ) {}

  async listen(): Promise<void> {
    await this.channel.consume(this.queue, async (msg) => {
      if (!msg) return;
      await this.onEvent(JSON.parse(msg.content.toString()) as T);
      this.channel.ack(msg);
    });
  }

  protected abstract onEvent(event: T): Promise<void>;
}
`;

const SUBCLASS_CONSUMER = `import amqp from 'amqplib';
import { Pool } from 'pg';
import { QueueConsumer } from './base-consumer';

const pool = new Pool();

class PointsConsumer extends QueueConsumer<{ member: string; points: number }> {
  protected async onEvent(event: { member: string; points: number }): Promise<void> {
    await pool.query('UPDATE members SET points = points + $1 WHERE id = $2', [event.points, event.member]);
  }
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await new PointsConsumer(channel, 'points').listen();
}
`;

// ---- once-per-process initialisation ----------------------------------------------------------

const MEMOISED_LOGIN = `import { Kafka } from 'kafkajs';

const consumer = new Kafka({ clientId: 'crm', brokers: ['kafka:9092'] }).consumer({ groupId: 'crm' });

class CrmClient {
  private token: string | undefined;
  private ready: Promise<void> | undefined;
  private schema: string | undefined;

  private async session(): Promise<string> {
    if (this.token) return this.token;
    const response = await fetch('https://crm.example.com/login', { method: 'POST', body: '{}' });
    this.token = ((await response.json()) as { token: string }).token;
    return this.token;
  }

  private async prepare(): Promise<void> {
    if (!this.schema) {
      await fetch('https://crm.example.com/schema', { method: 'POST', body: '{}' });
      this.schema = 'v1';
    }
    this.ready ??= fetch('https://crm.example.com/warmup', { method: 'POST' }).then(() => undefined);
    await this.ready;
  }

  async updateContact(id: string, email: string): Promise<void> {
    await this.prepare();
    const token = await this.session();
    await fetch('https://crm.example.com/contacts/' + id, {
      method: 'PUT',
      headers: { authorization: token },
      body: JSON.stringify({ email }),
    });
  }
}

const crm = new CrmClient();

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString()) as { id: string; email: string };
      await crm.updateContact(event.id, event.email);
    },
  });
}
`;

// ---- transactions: the ack inside a callback transaction, and queries on one connection ---------------

const ACK_IN_PRISMA_TRANSACTION = `import { PubSub } from '@google-cloud/pubsub';
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

export function listen(): void {
  new PubSub().subscription('orders').on('message', async (message) => {
    const order = JSON.parse(message.data.toString()) as { id: string; total: number };
    await prisma.$transaction(async (tx) => {
      await tx.order.create({ data: { externalId: order.id, total: order.total } });
      await tx.outbox.create({ data: { topic: 'order-created', payload: order.id } });
      message.ack();
    });
  });
}
`;

const ORDER_REPOSITORY = `import type { PrismaClient } from '@prisma/client';

type Tx = Omit<PrismaClient, '$transaction'>;

export async function saveOrder(tx: Tx, id: string): Promise<void> {
  await tx.order.create({ data: { externalId: id } });
}
`;

const ACK_AFTER_HELPER_IN_TRANSACTION = `import { PubSub } from '@google-cloud/pubsub';
import { PrismaClient } from '@prisma/client';
import { saveOrder } from './orders';

const prisma = new PrismaClient();

export function listen(): void {
  new PubSub().subscription('orders').on('message', async (message) => {
    const order = JSON.parse(message.data.toString()) as { id: string };
    await prisma.$transaction(async (tx) => {
      await saveOrder(tx, order.id);
      message.ack();
    });
  });
}
`;

const ACK_AFTER_TRANSACTION = `import { PubSub } from '@google-cloud/pubsub';
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

export function listen(): void {
  new PubSub().subscription('orders').on('message', async (message) => {
    const order = JSON.parse(message.data.toString()) as { id: string; total: number };
    await prisma.$transaction(async (tx) => {
      await tx.order.upsert({ where: { externalId: order.id }, create: { externalId: order.id }, update: {} });
    });
    message.ack();
  });
}
`;

const CLS_TRANSACTION = `import { connect } from 'nats';
import { Sequelize } from 'sequelize';
import { Ticket } from './models';

const sequelize = new Sequelize('postgres://db/tickets');

export async function listen(): Promise<void> {
  const nc = await connect({ servers: 'nats://nats:4222' });
  const consumer = await nc.jetstream().consumers.get('TICKETS', 'ticket-created');
  for await (const m of await consumer.consume()) {
    const ticket = JSON.parse(m.string()) as { id: number; title: string };
    await sequelize.transaction(async () => {
      await Ticket.create({ id: ticket.id, title: ticket.title });
      m.ack();
    });
  }
}
`;

const TICKET_MODEL = `import { Model } from 'sequelize';

export class Ticket extends Model {}
`;

const SAME_TRANSACTION_CONNECTION = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('payments', async (msg) => {
    if (!msg) return;
    const payment = JSON.parse(msg.content.toString()) as { order: string };
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      client.query('UPDATE orders SET paid = true WHERE id = $1', [payment.order]);
      await client.query('INSERT INTO payment_log (at) VALUES (now())');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    channel.ack(msg);
  });
}
`;

const CALLBACK_TRANSACTION_CONNECTION = `import amqp from 'amqplib';
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('payments', async (msg) => {
    if (!msg) return;
    const payment = JSON.parse(msg.content.toString()) as { order: string };
    await prisma.$transaction(async (tx) => {
      tx.order.update({ where: { id: payment.order }, data: { paid: true } });
      await tx.paymentLog.create({ data: { order: payment.order } });
    });
    channel.ack(msg);
  });
}
`;

const POOL_IS_NOT_ONE_CONNECTION = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('payments', async (msg) => {
    if (!msg) return;
    const payment = JSON.parse(msg.content.toString()) as { order: string };
    pool.query('UPDATE orders SET paid = true WHERE id = $1', [payment.order]);
    await pool.query('INSERT INTO payment_log (at) VALUES (now())');
    channel.ack(msg);
  });
}
`;

/** The batch's state write and the batch's delete run together: the delete does not wait for the write. */
const WRITE_BESIDE_ACK = `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function recordShipment(id: string): Promise<void> {
  await pool.query('INSERT INTO shipments (id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
}

async function acknowledge(channel: Channel, msg: ConsumeMessage): Promise<void> {
  channel.ack(msg);
}

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('shipments', async (msg) => {
    if (!msg) return;
    const shipment = JSON.parse(msg.content.toString()) as { id: string };
    await Promise.all([recordShipment(shipment.id), acknowledge(channel, msg)]);
  });
}
`;

/** Both writes complete at the combinator's await, before the ack that follows it. */
const WRITES_TOGETHER_THEN_ACK = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function recordShipment(id: string): Promise<void> {
  await pool.query('INSERT INTO shipments (id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
}

async function recordAudit(id: string): Promise<void> {
  await pool.query('INSERT INTO shipment_audit (id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
}

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('shipments', async (msg) => {
    if (!msg) return;
    const shipment = JSON.parse(msg.content.toString()) as { id: string };
    await Promise.all([recordShipment(shipment.id), recordAudit(shipment.id)]);
    channel.ack(msg);
  });
}
`;

// ---- in-process dispatch: RxJS subjects and event emitters -----------------------------------------

const INBOX_BUS = `import { Subject, type Subscription } from 'rxjs';

export interface Upload {
  name: string;
  size: number;
}

export class InboxBus {
  private readonly uploads = new Subject<Upload>();

  publishUpload(upload: Upload): void {
    this.uploads.next(upload);
  }

  onUpload(handler: (upload: Upload) => void): Subscription {
    return this.uploads.subscribe(handler);
  }
}
`;

const UPLOAD_SERVICE = `import { Pool } from 'pg';
import type { InboxBus, Upload } from './bus';

const pool = new Pool();

export class UploadService {
  constructor(bus: InboxBus) {
    bus.onUpload(UploadService.indexer());
  }

  private static indexer() {
    return async (upload: Upload) => {
      await pool.query('INSERT INTO uploads (name, size) VALUES ($1, $2)', [upload.name, upload.size]);
    };
  }
}
`;

const SUBJECT_DISPATCH = `import { ServiceBusClient } from '@azure/service-bus';
import { InboxBus } from './bus';
import { UploadService } from './uploads';

const bus = new InboxBus();
new UploadService(bus);

export function listen(): void {
  const receiver = new ServiceBusClient('Endpoint=sb://bus/').createReceiver('uploads');
  receiver.subscribe({
    processMessage: async (message) => {
      const upload = message.body as { name: string; size: number };
      bus.publishUpload(upload);
    },
    processError: async (error) => console.error(error),
  });
}
`;

const EMITTER_DISPATCH = `import { EventEmitter } from 'node:events';
import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const events = new EventEmitter();
const consumer = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] }).consumer({ groupId: 'orders' });

events.on('order-placed', async (order: { id: string }) => {
  await pool.query('INSERT INTO order_log (order_id) VALUES ($1)', [order.id]);
});

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string };
      events.emit('order-placed', order);
    },
  });
}
`;

const SUBJECT_WITHOUT_SUBSCRIBERS = `import { Kafka } from 'kafkajs';
import { Subject } from 'rxjs';

export const orders$ = new Subject<{ id: string }>();
const consumer = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] }).consumer({ groupId: 'orders' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      orders$.next(JSON.parse(message.value!.toString()) as { id: string });
    },
  });
}
`;

const NEST_EMIT_ASYNC = `import { Kafka } from 'kafkajs';
import { EventEmitter2, OnEvent } from '@nestjs/event-emitter';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] }).consumer({ groupId: 'orders' });

export class OrderListener {
  @OnEvent('order.placed')
  async record(order: { id: string }): Promise<void> {
    console.log('placed', order.id);
    await pool.query('INSERT INTO order_log (at) VALUES (now())');
  }
}

export async function start(events: EventEmitter2): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await events.emitAsync('order.placed', JSON.parse(message.value!.toString()) as { id: string });
    },
  });
}
`;

// ---- failures of work in callees: caught where they are, or escaping as a returned promise -----------

const NEST_MAIN = `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

export async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, {
    transport: Transport.RMQ,
    options: { urls: ['amqp://rabbitmq'], queue: 'alerts', noAck: false },
  });
  await app.listen();
}
`;

const NEST_MODULE = `export class AppModule {}
`;

const ALERT_SERVICE = `import type { RmqContext } from '@nestjs/microservices';

export class AlertService {
  async relay(text: string, context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    const message = context.getMessage();
    try {
      await this.post(text);
      channel.ack(message);
    } catch {
      channel.nack(message);
    }
  }

  private async post(text: string): Promise<void> {
    try {
      await fetch('https://chat.example.com/alerts', { method: 'POST', body: text });
    } catch (error) {
      console.error('chat unreachable', error);
    }
  }
}
`;

const NEST_DETACHED_SERVICE = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, type RmqContext } from '@nestjs/microservices';
import { AlertService } from './alert.service';

@Controller()
export class AlertController {
  constructor(private readonly alerts: AlertService) {}

  @EventPattern('alert')
  async onAlert(@Payload() text: string, @Ctx() context: RmqContext): Promise<void> {
    this.alerts.relay(text, context);
  }
}
`;

const RETURNED_TRANSACTION = `import amqp from 'amqplib';
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

async function store(reading: { sensor: string; value: number }) {
  try {
    return prisma.$transaction(async (tx) => {
      await tx.reading.create({ data: reading });
    });
  } catch (error) {
    console.error('could not store', error);
  }
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('readings', async (msg) => {
    if (!msg) return;
    try {
      await store(JSON.parse(msg.content.toString()) as { sensor: string; value: number });
      channel.ack(msg);
    } catch {
      channel.nack(msg, false, true);
    }
  });
}
`;

const AWAITED_RETURN_IN_TRY = RETURNED_TRANSACTION.replace(
  'return prisma.$transaction(',
  'return await prisma.$transaction(',
);

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'an un-awaited method that awaits the insert and then acks: the ack waits for the work it follows',
      code: DETACHED_PROCESS_ACKS,
    },
    {
      name: 'promises mapped into a variable and awaited later through Promise.all complete before the return',
      code: MAPPED_THEN_AWAITED,
    },
    {
      name: 'promises pushed into an array and awaited later through Promise.all complete before the return',
      code: PUSHED_THEN_AWAITED,
    },
    {
      name: 'writes awaited together through Promise.all complete before the ack that follows',
      code: WRITES_TOGETHER_THEN_ACK,
    },
    {
      name: 'a Subject nothing in the project subscribes to: the dispatch stays unfollowed',
      code: SUBJECT_WITHOUT_SUBSCRIBERS,
    },
    {
      name: 'emitAsync awaited: the listeners complete before the handler returns',
      code: NEST_EMIT_ASYNC,
    },
    {
      name: 'the ack after the callback transaction has returned (committed)',
      code: ACK_AFTER_TRANSACTION,
    },
    {
      name: 'an un-awaited query on the transaction connection completes before the awaited one after it',
      code: SAME_TRANSACTION_CONNECTION,
    },
    {
      name: 'an un-awaited query on the transaction client completes before the awaited one and the commit',
      code: CALLBACK_TRANSACTION_CONNECTION,
    },
  ],
  invalid: [
    {
      name: 'the ack inside a prisma callback transaction, before its creates commit',
      code: ACK_IN_PRISMA_TRANSACTION,
      errors: [
        {
          line: lineOf(ACK_IN_PRISMA_TRANSACTION, 'message.ack();'),
          messageId: 'ackBeforeCommit',
          data: ['prisma.$transaction', 'prisma.order.create', 'prisma.outbox.create'],
        },
      ],
    },
    {
      name: 'the ack inside a callback transaction after a helper that writes through the transaction client',
      code: ACK_AFTER_HELPER_IN_TRANSACTION,
      files: { 'orders.ts': ORDER_REPOSITORY },
      errors: [
        {
          line: lineOf(ACK_AFTER_HELPER_IN_TRANSACTION, 'message.ack();'),
          messageId: 'ackBeforeCommit',
          data: ['prisma.order.create', 'saveOrder()'],
        },
      ],
    },
    {
      name: 'the ack inside a managed (CLS) sequelize transaction, before the create commits',
      code: CLS_TRANSACTION,
      files: { 'models.ts': TICKET_MODEL },
      errors: [
        {
          line: lineOf(CLS_TRANSACTION, 'm.ack();'),
          messageId: 'ackBeforeCommit',
          data: ['sequelize.transaction', 'Ticket.create'],
        },
      ],
    },
    {
      name: 'Service Bus auto-complete handler pushes into a Subject; the project subscriber inserts after the return',
      code: SUBJECT_DISPATCH,
      files: { 'bus.ts': INBOX_BUS, 'uploads.ts': UPLOAD_SERVICE },
      errors: [
        {
          line: lineOf(SUBJECT_DISPATCH, 'bus.publishUpload(upload);'),
          messageId: 'unawaitedAtReturn',
          data: ['INSERT INTO uploads'],
        },
      ],
    },
    {
      name: 'kafkajs eachMessage emits an event; the project listener inserts after the offset is committed',
      code: EMITTER_DISPATCH,
      errors: [
        {
          line: lineOf(EMITTER_DISPATCH, "events.emit('order-placed', order);"),
          messageId: 'unawaitedAtReturn',
          data: ['INSERT INTO order_log'],
        },
      ],
    },
    {
      name: 'queries on a pool are not ordered: an un-awaited one may still run after a later awaited one',
      code: POOL_IS_NOT_ONE_CONNECTION,
      errors: [
        {
          line: lineOf(POOL_IS_NOT_ONE_CONNECTION, "pool.query('UPDATE orders"),
          messageId: 'unawaitedBeforeAck',
          data: ['UPDATE orders', 'channel.ack()'],
        },
      ],
    },
    {
      name: 'an un-awaited helper that only nacks on failure: the handler acks before its insert completes',
      code: DETACHED_NACK_ONLY,
      errors: [
        {
          line: lineOf(DETACHED_NACK_ONLY, 'store(id).catch('),
          messageId: 'unawaitedBeforeAck',
          data: ['INSERT INTO receipts', 'channel.ack()'],
        },
      ],
    },
    {
      name: 'a non-async helper without a declared type returns the driver promise: dropped before the ack',
      code: DROPS_UNTYPED_HELPER,
      files: { 'audit.ts': AUDIT_HELPER },
      errors: [
        {
          line: lineOf(DROPS_UNTYPED_HELPER, 'recordAudit(change.accountId'),
          messageId: 'unawaitedBeforeAck',
          data: ['INSERT INTO audit_log', 'recordAudit()', 'channel.ack()'],
        },
      ],
    },
    {
      name: 'an ack run beside the write in one Promise.all does not wait for it',
      code: WRITE_BESIDE_ACK,
      errors: [
        {
          line: lineOf(WRITE_BESIDE_ACK, 'await Promise.all([recordShipment'),
          messageId: 'unawaitedBeforeAck',
          data: ['INSERT INTO shipments', 'recordShipment()', 'channel.ack()'],
        },
      ],
    },
    {
      name: 'a callback run by a context runner in a project helper acks before its insert',
      code: CONTEXT_RUNNER,
      files: { 'tenant.ts': TENANT_CONTEXT },
      errors: [
        {
          line: lineOf(CONTEXT_RUNNER, 'channel.ack(msg);'),
          messageId: 'ackBeforeProcessing',
          data: ['INSERT INTO members'],
        },
      ],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'an interface whose only implementation is never constructed: the call stays unfollowed',
      code: NEVER_CONSTRUCTED,
      files: { 'notifier.ts': UNUSED_NOTIFIER },
    },
    {
      name: 'a memoised login, schema set-up and warm-up run once per process, not once per message',
      code: MEMOISED_LOGIN,
    },
  ],
  invalid: [
    {
      name: 'the @OnEvent listener runs (and is awaited) where the handler calls emitAsync',
      code: NEST_EMIT_ASYNC,
      errors: [
        {
          line: lineOf(NEST_EMIT_ASYNC, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO order_log', 'OrderListener.record()'],
        },
      ],
    },
    {
      name: 'an interface-typed dependency reaches the implementation the project constructs',
      code: INTERFACE_DEPENDENCY,
      files: { 'notifier.ts': NOTIFIER },
      errors: [
        {
          line: lineOf(INTERFACE_DEPENDENCY, "consume('shipped'"),
          messageId: 'noIdentityCheck',
          data: ['HTTP POST', 'WebhookNotifier.notify()'],
        },
      ],
    },
    {
      name: 'an abstract method called by the base consumer runs the subclass override',
      code: SUBCLASS_CONSUMER,
      files: { 'base-consumer.ts': BASE_CONSUMER },
      errors: [
        {
          line: lineOf(BASE_CONSUMER, 'this.channel.consume(this.queue'),
          file: 'base-consumer.ts',
          messageId: 'noIdentityCheck',
          data: ['UPDATE members', 'PointsConsumer.onEvent()'],
        },
      ],
    },
    {
      name: 'the insert runs in a callback the project retry helper calls',
      code: CALLBACK_TO_HELPER,
      files: { 'retry.ts': RETRY_HELPER },
      errors: [
        {
          line: lineOf(CALLBACK_TO_HELPER, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO ledger_entries'],
        },
      ],
    },
    {
      name: 'an un-awaited method that awaits the insert and then acks: the insert runs before the ack',
      code: DETACHED_PROCESS_ACKS,
      errors: [
        {
          line: lineOf(DETACHED_PROCESS_ACKS, "consume('invoices'"),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO invoice_log'],
        },
      ],
    },
  ],
});

ruleTester('unsettled-message', {
  valid: [
    {
      name: 'NestJS RMQ: the failure of a call in a service is caught there, and the service nacks on the others',
      code: NEST_DETACHED_SERVICE,
      files: { 'alert.service.ts': ALERT_SERVICE, 'main.ts': NEST_MAIN, 'app.module.ts': NEST_MODULE },
    },
  ],
  invalid: [],
});

ruleTester('swallowed-failure-ack', {
  valid: [
    {
      name: 'a promise returned without await from a try is not caught there: the handler nacks its failure',
      code: RETURNED_TRANSACTION,
    },
  ],
  invalid: [
    {
      name: 'a promise returned with await from a try is caught there and logged: the handler then acks',
      code: AWAITED_RETURN_IN_TRY,
      errors: [{ line: lineOf(AWAITED_RETURN_IN_TRY, 'channel.ack(msg);'), messageId: 'ackAfterCaughtFailure' }],
    },
  ],
});
