/**
 * ack-before-process (docs/rules/ack-before-process.md; docs/model.md, "Order"): the message is settled before its processing has
 * completed (ack then work; work started without await before the ack), or, for consumers that
 * settle when the handler resolves (kafkajs autoCommit, sqs-consumer), the handler returns while
 * processing still runs in a dropped promise.
 *
 * Every case runs typed (node_modules types resolve) and untyped (no node_modules at all).
 * Line numbers are 1-based lines of the fixture text: the ack's line for "ack then work", the
 * un-awaited call's line in the handler for dropped work.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Finding } from '../../server/src/model';
import { ruleTester } from '../helpers/rule-tester';
import { MODES, TestProject, findingsOf } from '../helpers/project';
import { firstLineOf } from '../helpers/lines';

// ---- files several cases share (each case gets its own copy in its folder) ----------------------

const EVENTS = `export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface OrderPlaced {
  orderId: string;
  customerId: string;
  customerEmail: string;
  totalCents: number;
  currency: 'EUR' | 'USD';
  lines: OrderLine[];
}

export function parseOrderPlaced(raw: Buffer | null | undefined): OrderPlaced | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw.toString('utf8')) as Partial<OrderPlaced>;
    return typeof value.orderId === 'string' && Array.isArray(value.lines) ? (value as OrderPlaced) : undefined;
  } catch {
    return undefined;
  }
}
`;

const LOGGER = `type Fields = Record<string, unknown>;

function write(level: 'debug' | 'info' | 'warn' | 'error', message: string, fields: Fields = {}): void {
  process.stdout.write(JSON.stringify({ level, message, time: new Date().toISOString(), ...fields }) + '\\n');
}

export const logger = {
  debug: (message: string, fields?: Fields) => write('debug', message, fields),
  info: (message: string, fields?: Fields) => write('info', message, fields),
  warn: (message: string, fields?: Fields) => write('warn', message, fields),
  error: (message: string, fields?: Fields) => write('error', message, fields),
};
`;

const METRICS = `const counters = new Map<string, number>();
const timings: Array<{ name: string; ms: number }> = [];

/** In-process metrics, scraped by the /metrics endpoint. */
export const metrics = {
  increment(name: string, by = 1): void {
    counters.set(name, (counters.get(name) ?? 0) + by);
  },
  timing(name: string, ms: number): void {
    timings.push({ name, ms });
  },
};
`;

const SEARCH_INDEXER = `import type { KafkaMessage } from 'kafkajs';

const SEARCH_URL = 'http://search:9200/products/_doc/';

interface ProductChanged {
  id: string;
  name: string;
  priceCents: number;
}

export async function indexProduct(message: KafkaMessage): Promise<void> {
  const product = JSON.parse(message.value?.toString() ?? '{}') as ProductChanged;
  await fetch(SEARCH_URL + encodeURIComponent(product.id), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(product),
  });
}
`;

const SEQUELIZE_ORDERS = `import { DataTypes, Model, Sequelize } from 'sequelize';

export const sequelize = new Sequelize('postgres://db/orders');

export class Order extends Model {
  declare id: number;
  declare status: string;
}

Order.init({ id: { type: DataTypes.INTEGER, primaryKey: true }, status: DataTypes.STRING }, { sequelize });
`;

/**
 * A JetStream listener whose order is loaded into a \`let\` declared empty (in a try of its own) and
 * saved under another name inside a transaction: \`after\` is what follows the save in the callback.
 */
const loadedThenSaved = (after: string, outside = '') => `import { JsMsg } from 'nats';
import { Order, sequelize } from './models';

export const onOrderExpired = async (m: JsMsg) => {
  const { orderId } = JSON.parse(m.string()) as { orderId: number };
  let found: Order | null;
  try {
    found = await Order.findByPk(orderId);
    if (!found) return m.term();
  } catch {
    return m.nak();
  }
  await sequelize.transaction(async () => {
    const order = found!;
    order.status = 'cancelled';
    await order.save();
${after}  });
${outside}};
`;

const JETSTREAM_SUBSCRIBE = `import { connect } from 'nats';
import { onOrderExpired } from './listener';

export async function start(): Promise<void> {
  const js = (await connect({ servers: 'nats://nats:4222' })).jetstream();
  const subscription = await js.pullSubscribe('orders.expired', { config: { durable_name: 'orders' } });
  for await (const m of subscription) await onOrderExpired(m);
}
`;

const CHAINED_ACK = (chain: string): string => `import type { Channel, ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function handle(msg: ConsumeMessage): Promise<void> {
  await pool.query('UPDATE orders SET state = $1 WHERE id = $2', ['paid', msg.properties.messageId]);
}

export function start(channel: Channel): void {
  channel.consume('orders', (msg: ConsumeMessage | null) => {
    if (!msg) return;
${chain}
  });
}
`;

ruleTester('ack-before-process', {
  valid: [
    {
      // The helper catches a failed send and returns { ok: false }; on that path the move throws
      // before its delete, but the analysis does not read the result's property: it keeps the path,
      // which is still moving the message to the dead-letter queue.
      name: 'client-sqs: a dead-letter move whose send helper catches its failure and returns a result object',
      code: `import { SQSClient, ReceiveMessageCommand, SendMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});
const TASKS = 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasks';
const RESULTS = 'https://sqs.eu-west-1.amazonaws.com/123456789012/results';
const TASKS_DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasks-dlq';

async function sendTo(queueUrl: string, body: string): Promise<{ ok: boolean }> {
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    return { ok: true };
  } catch (error) {
    console.error('send failed', error);
    return { ok: false };
  }
}

async function moveToDeadLetterQueue(body: string, receiptHandle: string | undefined): Promise<void> {
  const sent = await sendTo(TASKS_DLQ, body);
  if (!sent.ok) throw new Error('the task could not be dead-lettered');
  await sqs.send(new DeleteMessageCommand({ QueueUrl: TASKS, ReceiptHandle: receiptHandle }));
}

export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: TASKS, MaxNumberOfMessages: 10 }));
  for (const message of Messages ?? []) {
    const task = JSON.parse(message.Body ?? '{}');
    if (!task.file) {
      await moveToDeadLetterQueue(message.Body ?? '', message.ReceiptHandle);
      await sendTo(RESULTS, JSON.stringify({ id: task.id, failed: true }));
      continue;
    }
    await sendTo(RESULTS, JSON.stringify({ id: task.id, transcript: 'text' }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: TASKS, ReceiptHandle: message.ReceiptHandle }));
  }
}
`,
    },
    {
      // A helper sends to the queue URL its caller passes: here the dead-letter queue's. The delete
      // after it moves the message there; the failure notice after that is failure handling.
      name: 'client-sqs: a notice after the message is moved to the dead-letter queue (send, then delete) is no processing the delete loses',
      code: `import { SQSClient, ReceiveMessageCommand, SendMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});
const config = {
  tasks: 'https://sqs.eu-west-1.amazonaws.com/123456789012/tasks',
  results: 'https://sqs.eu-west-1.amazonaws.com/123456789012/results',
  deadLetterQueueUrl: process.env.TASKS_DLQ_URL ?? '',
};

async function sendTo(queueUrl: string, body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: config.tasks, MaxNumberOfMessages: 10 }));
  for (const message of Messages ?? []) {
    const task = JSON.parse(message.Body ?? '{}');
    if (!task.file) {
      await sendTo(config.deadLetterQueueUrl, message.Body ?? '');
      await sqs.send(new DeleteMessageCommand({ QueueUrl: config.tasks, ReceiptHandle: message.ReceiptHandle }));
      await sendTo(config.results, JSON.stringify({ id: task.id, failed: true }));
      continue;
    }
    await sendTo(config.results, JSON.stringify({ id: task.id, transcript: 'text' }));
    await sqs.send(new DeleteMessageCommand({ QueueUrl: config.tasks, ReceiptHandle: message.ReceiptHandle }));
  }
}
`,
    },
    {
      name: 'kafkajs: a measuring helper keeps the callback promise in a const and returns its finally chain',
      code: `import { Kafka } from 'kafkajs';

class Measure {
  with<T>(name: string, op: (ctx: Measure) => T | Promise<T>): Promise<T> {
    let needFinally = true;
    try {
      const value = op(this);
      if (value instanceof Promise) {
        needFinally = false;
        return value.finally(() => console.log('done', name));
      }
      return Promise.resolve(value);
    } finally {
      if (needFinally) console.log('done', name);
    }
  }
}

const ctx = new Measure();
const consumer = new Kafka({ clientId: 'mail', brokers: ['kafka:9092'] }).consumer({ groupId: 'mail' });

async function notify(body: string): Promise<void> {
  await fetch('https://mail.example.com/send', { method: 'PUT', body });
}

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await ctx.with('handle', () => notify(String(message.value)));
    },
  });
}
`,
    },
    {
      name: 'amqplib: the ack in the finally of the chain the handler starts runs after the work',
      code: CHAINED_ACK(`    handle(msg)
      .then(() => console.log('handled'))
      .finally(() => channel.ack(msg));`),
    },
    {
      name: 'nats: a loaded order saved in a transaction, acked after the transaction commits',
      code: JETSTREAM_SUBSCRIBE,
      files: { 'models.ts': SEQUELIZE_ORDERS, 'listener.ts': loadedThenSaved('', '  m.ack();\n') },
    },
    {
      name: 'BullMQ: a quote cache filled without await while the job computes: a cache fill, not processing',
      code: `import { Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import { Pool } from 'pg';

const quoteCache = new Redis();
const pool = new Pool();

async function quoteOf(symbol: string): Promise<number> {
  const response = await fetch(\`https://quotes.example.com/\${symbol}\`);
  const quote = Number(await response.text());
  quoteCache.set(\`quote:\${symbol}\`, String(quote), 'EX', 60);
  return quote;
}

export const snapshots = new Worker('snapshots', async (job: Job<{ portfolioId: string; symbol: string }>) => {
  const quote = await quoteOf(job.data.symbol);
  await pool.query('UPDATE portfolios SET value = $1 WHERE id = $2', [quote, job.data.portfolioId]);
});
`,
    },
    // ---- kafkajs ----------------------------------------------------------------------------
    {
      name: 'kafkajs eachMessage (autoCommit) awaits the upsert before returning',
      files: { 'events.ts': EVENTS, 'logger.ts': LOGGER },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';
import { logger } from './logger';

const kafka = new Kafka({ clientId: 'order-projector', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'order-projector' });
const pool = new Pool();

export async function startProjector(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const order = parseOrderPlaced(message.value);
      if (!order) {
        logger.warn('skipping malformed order event', { partition, offset: message.offset });
        return;
      }
      await pool.query(
        'INSERT INTO order_projection (order_id, customer_id, total_cents) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING',
        [order.orderId, order.customerId, order.totalCents],
      );
      logger.info('order projected', { orderId: order.orderId });
    },
  });
}
`,
    },
    {
      name: 'kafkajs autoCommit:false commits the offset after the awaited insert',
      files: { 'events.ts': EVENTS },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';

const kafka = new Kafka({ clientId: 'billing', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'billing' });
const pool = new Pool();

export async function startBilling(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const order = parseOrderPlaced(message.value);
      if (order) {
        await pool.query(
          'INSERT INTO invoices (order_id, amount_cents, currency) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING',
          [order.orderId, order.totalCents, order.currency],
        );
      }
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
}
`,
    },
    {
      name: 'kafkajs eachBatch processes, then resolveOffset, then heartbeat, then commitOffsetsIfNecessary',
      files: { 'logger.ts': LOGGER },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { logger } from './logger';

interface StockAdjusted {
  sku: string;
  warehouse: string;
  onHand: number;
}

const kafka = new Kafka({ clientId: 'inventory', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'inventory-snapshots' });
const pool = new Pool();

export async function startInventory(): Promise<void> {
  await consumer.subscribe({ topic: 'inventory.adjusted' });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        const event = JSON.parse(message.value?.toString() ?? '{}') as StockAdjusted;
        await pool.query(
          'UPDATE stock_levels SET on_hand = $1 WHERE sku = $2 AND warehouse = $3',
          [event.onHand, event.sku, event.warehouse],
        );
        resolveOffset(message.offset);
        await heartbeat();
      }
      await commitOffsetsIfNecessary();
      logger.info('batch done', { partition: batch.partition, size: batch.messages.length });
    },
  });
}
`,
    },
    {
      name: "kafkajs eachMessage awaits a measuring helper that returns its callback's promise through a conditional",
      files: {
        'events.ts': EVENTS,
        'measure.ts': `export class Measure {
  constructor(private readonly prefix: string) {}

  with<T>(name: string, op: (child: Measure) => T | Promise<T>): Promise<T> {
    const result = op(new Measure(\`\${this.prefix}.\${name}\`));
    return result instanceof Promise ? result : Promise.resolve(result);
  }
}
`,
      },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';
import { Measure } from './measure';

const kafka = new Kafka({ clientId: 'invoices', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'invoices' });
const pool = new Pool();
const measure = new Measure('invoices');

export async function startInvoices(): Promise<void> {
  await consumer.subscribe({ topics: ['orders.placed'] });
  await consumer.run({
    eachMessage: async ({ message }) => {
      await measure.with('handle', async () => {
        const order = parseOrderPlaced(message.value);
        if (!order) return;
        await pool.query('INSERT INTO invoices (order_id, total_cents) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING', [
          order.orderId,
          order.totalCents,
        ]);
      });
    },
  });
}
`,
    },
    {
      name: 'kafkajs eachMessage awaits Promise.all(lines.map(async ...)) before returning',
      files: { 'events.ts': EVENTS, 'metrics.ts': METRICS },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';
import { metrics } from './metrics';

const kafka = new Kafka({ clientId: 'reservations', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'reservations' });
const pool = new Pool();

export async function startReservations(): Promise<void> {
  await consumer.subscribe({ topics: ['orders.placed'] });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = parseOrderPlaced(message.value);
      if (!order) return;
      await Promise.all(
        order.lines.map(async (line) => {
          await pool.query(
            'INSERT INTO reservations (order_id, sku, quantity) VALUES ($1, $2, $3) ON CONFLICT (order_id, sku) DO NOTHING',
            [order.orderId, line.sku, line.quantity],
          );
        }),
      );
      metrics.increment('reservations.created', order.lines.length);
    },
  });
}
`,
    },
    {
      name: 'kafkajs non-async eachMessage returns the projector promise (service in another file)',
      files: {
        'services/customer-projector.ts': `import type { Pool } from 'pg';

export interface CustomerUpdated {
  customerId: string;
  email: string;
  tier: 'free' | 'pro';
}

export class CustomerProjector {
  constructor(private readonly pool: Pool) {}

  async apply(key: string, raw: Buffer | null): Promise<void> {
    if (!raw) return;
    const event = JSON.parse(raw.toString()) as CustomerUpdated;
    await this.pool.query(
      'INSERT INTO customers (id, email, tier) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, tier = EXCLUDED.tier',
      [key || event.customerId, event.email, event.tier],
    );
  }
}
`,
      },
      code: `import { Kafka, type EachMessagePayload } from 'kafkajs';
import { Pool } from 'pg';
import { CustomerProjector } from './services/customer-projector';

const kafka = new Kafka({ clientId: 'crm', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'crm-projection' });
const projector = new CustomerProjector(new Pool());

export async function startCrm(): Promise<void> {
  await consumer.subscribe({ topic: 'customers.updated' });
  await consumer.run({
    eachMessage: ({ message }: EachMessagePayload) => projector.apply(message.key?.toString() ?? '', message.value),
  });
}
`,
    },
    {
      name: 'kafkajs reads, logging and metrics after commitOffsets are not processing effects',
      files: { 'events.ts': EVENTS, 'logger.ts': LOGGER, 'metrics.ts': METRICS },
      code: `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';
import { logger } from './logger';
import { metrics } from './metrics';

const kafka = new Kafka({ clientId: 'fraud-scoring', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'fraud-scoring' });
const redis = new Redis();
const pool = new Pool();

export async function startFraudScoring(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const startedAt = Date.now();
      const order = parseOrderPlaced(message.value);
      if (order) {
        await pool.query('UPDATE orders SET fraud_checked = true WHERE id = $1', [order.orderId]);
      }
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      const lagMarker = await redis.get('lag:' + topic + ':' + partition);
      const { rows } = await pool.query('SELECT count(*) AS pending FROM orders WHERE fraud_checked = false');
      metrics.timing('fraud.scoring.ms', Date.now() - startedAt);
      metrics.increment('fraud.scored');
      logger.info('scored', { orderId: order?.orderId, lagMarker, pending: rows[0]?.pending });
    },
  });
}
`,
    },
    {
      name: 'kafkajs eachBatch awaits Promise.all(messages.map(indexProduct)) then resolves offsets and heartbeats',
      files: { 'services/search-indexer.ts': SEARCH_INDEXER },
      code: `import { Kafka } from 'kafkajs';
import { indexProduct } from './services/search-indexer';

const kafka = new Kafka({ clientId: 'catalog-indexer', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'catalog-indexer' });

export async function startIndexer(): Promise<void> {
  await consumer.subscribe({ topic: 'catalog.products' });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      await Promise.all(batch.messages.map((message) => indexProduct(message)));
      for (const message of batch.messages) resolveOffset(message.offset);
      await heartbeat();
    },
  });
}
`,
    },
    {
      name: 'kafkajs autoCommit:false commits a poison message and returns early, commits after the work otherwise',
      files: {
        'events.ts': EVENTS,
        'logger.ts': LOGGER,
        'services/shipping.ts': `import type { OrderPlaced } from '../events';

const CARRIER_API = 'https://carrier.example.com/v2/shipments';

export class ShippingService {
  async createShipment(order: OrderPlaced): Promise<void> {
    const response = await fetch(CARRIER_API, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Idempotency-Key': order.orderId },
      body: JSON.stringify({ reference: order.orderId, items: order.lines }),
    });
    if (!response.ok) throw new Error('carrier rejected ' + order.orderId + ': ' + response.status);
  }
}
`,
      },
      code: `import { Kafka } from 'kafkajs';
import { parseOrderPlaced } from './events';
import { logger } from './logger';
import { ShippingService } from './services/shipping';

const kafka = new Kafka({ clientId: 'shipping', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'shipping' });
const shipping = new ShippingService();

export async function startShipping(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const next = (BigInt(message.offset) + 1n).toString();
      const order = parseOrderPlaced(message.value);
      if (!order) {
        logger.warn('dropping malformed order event', { topic, partition, offset: message.offset });
        await consumer.commitOffsets([{ topic, partition, offset: next }]);
        return;
      }
      await shipping.createShipment(order);
      await consumer.commitOffsets([{ topic, partition, offset: next }]);
    },
  });
}
`,
    },
    {
      name: 'kafkajs class consumer with this.handle.bind(this) awaits this.loyalty.awardPoints()',
      files: {
        'events.ts': EVENTS,
        'services/loyalty.ts': `import type { Pool } from 'pg';

export class LoyaltyService {
  constructor(private readonly pool: Pool) {}

  async awardPoints(customerId: string, orderId: string, points: number): Promise<void> {
    await this.pool.query(
      'INSERT INTO loyalty_ledger (order_id, customer_id, points) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING',
      [orderId, customerId, points],
    );
  }
}
`,
      },
      code: `import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { LoyaltyService } from './services/loyalty';
import { parseOrderPlaced } from './events';

export class LoyaltyConsumer {
  private readonly consumer: Consumer;

  constructor(kafka: Kafka, private readonly loyalty: LoyaltyService) {
    this.consumer = kafka.consumer({ groupId: 'loyalty' });
  }

  async start(): Promise<void> {
    await this.consumer.subscribe({ topic: 'orders.placed' });
    await this.consumer.run({ eachMessage: this.handle.bind(this) });
  }

  private async handle({ message }: EachMessagePayload): Promise<void> {
    const order = parseOrderPlaced(message.value);
    if (!order) return;
    await this.loyalty.awardPoints(order.customerId, order.orderId, Math.floor(order.totalCents / 100));
  }
}
`,
    },

    {
      name: 'kafkajs eachMessage as a method: starts two writes, then awaits Promise.all of both',
      files: { 'events.ts': EVENTS },
      code: `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';

const kafka = new Kafka({ clientId: 'customer-stats', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'customer-stats' });
const pool = new Pool();
const redis = new Redis();

export async function startCustomerStats(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    async eachMessage({ message }) {
      const order = parseOrderPlaced(message.value);
      if (!order) return;
      const lastOrder = redis.set('customer:' + order.customerId + ':last-order', order.orderId);
      const stats = pool.query(
        'INSERT INTO customer_orders (customer_id, order_id) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING',
        [order.customerId, order.orderId],
      );
      await Promise.all([lastOrder, stats]);
    },
  });
}
`,
    },

    // ---- amqplib ----------------------------------------------------------------------------
    {
      name: 'amqplib acks after the insert',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';
const pool = new Pool();
export async function start() {
  const connection = await amqp.connect('amqp://localhost');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [msg.properties.messageId]);
    channel.ack(msg);
  });
}
`,
    },
    {
      name: 'amqplib class worker (bind) acks after Promise.all of reservations; metrics and logs after the ack; nack in catch',
      files: {
        'events.ts': EVENTS,
        'logger.ts': LOGGER,
        'metrics.ts': METRICS,
        'services/inventory.ts': `import { Pool } from 'pg';

const pool = new Pool();

export class InventoryService {
  async reserve(orderId: string, sku: string, quantity: number): Promise<void> {
    await pool.query(
      'INSERT INTO stock_reservations (order_id, sku, quantity) VALUES ($1, $2, $3) ON CONFLICT (order_id, sku) DO NOTHING',
      [orderId, sku, quantity],
    );
  }
}
`,
      },
      code: `import type { Channel, ConsumeMessage } from 'amqplib';
import { InventoryService } from './services/inventory';
import { parseOrderPlaced } from './events';
import { logger } from './logger';
import { metrics } from './metrics';

export class ReservationWorker {
  constructor(private readonly channel: Channel, private readonly inventory: InventoryService) {}

  async start(): Promise<void> {
    await this.channel.prefetch(20);
    await this.channel.consume('inventory.reserve', this.onMessage.bind(this), { noAck: false });
  }

  private async onMessage(msg: ConsumeMessage | null): Promise<void> {
    if (!msg) return;
    const order = parseOrderPlaced(msg.content);
    if (!order) {
      this.channel.nack(msg, false, false);
      return;
    }
    try {
      await Promise.all(order.lines.map(async (line) => this.inventory.reserve(order.orderId, line.sku, line.quantity)));
      this.channel.ack(msg);
      metrics.increment('inventory.reserved');
      logger.info('reserved stock', { orderId: order.orderId });
    } catch (error) {
      logger.error('reservation failed', { orderId: order.orderId, error: String(error) });
      this.channel.nack(msg, false, true);
    }
  }
}
`,
    },
    {
      name: 'amqplib noAck:true consumer is not this rule even with a dropped insert (at-most-once-consumer)',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

interface PageView {
  path: string;
  sessionId: string;
  at: string;
}

const pool = new Pool();

export async function startAnalytics(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.assertQueue('analytics.pageviews', { durable: false });
  await channel.consume(
    'analytics.pageviews',
    (msg) => {
      if (!msg) return;
      const view = JSON.parse(msg.content.toString()) as PageView;
      void pool.query('INSERT INTO page_views (path, session_id, seen_at) VALUES ($1, $2, $3)', [view.path, view.sessionId, view.at]);
    },
    { noAck: true },
  );
}
`,
    },
    {
      name: 'amqplib RPC server acks, then replies to replyTo (a reply is not processing)',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

interface PriceQuoteRequest {
  sku: string;
  quantity: number;
}

const pool = new Pool();

export async function startPricingRpc(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.assertQueue('pricing.quote');
  await channel.consume('pricing.quote', async (msg) => {
    if (!msg) return;
    const request = JSON.parse(msg.content.toString()) as PriceQuoteRequest;
    const { rows } = await pool.query('SELECT unit_price_cents FROM prices WHERE sku = $1', [request.sku]);
    const quote = { sku: request.sku, totalCents: (rows[0]?.unit_price_cents ?? 0) * request.quantity };
    channel.ack(msg);
    channel.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify(quote)), {
      correlationId: msg.properties.correlationId,
    });
  });
}
`,
    },
    {
      name: 'amqplib acks malformed input and returns early; acks after sendMail otherwise',
      files: { 'logger.ts': LOGGER },
      code: `import amqp from 'amqplib';
import nodemailer from 'nodemailer';
import { logger } from './logger';

interface PasswordResetRequested {
  userId: string;
  email: string;
  token: string;
}

function isResetRequest(value: unknown): value is PasswordResetRequested {
  return typeof value === 'object' && value !== null && 'email' in value && 'token' in value;
}

const transport = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export async function startResetMailer(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('auth.password-reset', async (msg) => {
    if (!msg) return;
    const payload: unknown = JSON.parse(msg.content.toString());
    if (!isResetRequest(payload)) {
      logger.warn('dropping malformed reset request', { messageId: msg.properties.messageId });
      channel.ack(msg);
      return;
    }
    await transport.sendMail({
      from: 'security@shop.example.com',
      to: payload.email,
      subject: 'Reset your password',
      text: 'https://app.example.com/reset?token=' + payload.token,
    });
    channel.ack(msg);
  });
}
`,
    },
    {
      name: 'amqp-connection-manager setup consumes with a named handler that acks after the work',
      files: {
        'logger.ts': LOGGER,
        'services/receipts.ts': `import { Pool } from 'pg';

const pool = new Pool();

export class ReceiptService {
  async record(orderId: string, email: string): Promise<void> {
    await pool.query(
      'INSERT INTO receipts (order_id, email) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING',
      [orderId, email],
    );
  }
}
`,
      },
      code: `import amqp from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import { ReceiptService } from './services/receipts';
import { logger } from './logger';

const receipts = new ReceiptService();

async function handleReceipt(channel: Channel, msg: ConsumeMessage | null): Promise<void> {
  if (!msg) return;
  const { orderId, email } = JSON.parse(msg.content.toString()) as { orderId: string; email: string };
  await receipts.record(orderId, email);
  channel.ack(msg);
  logger.info('receipt recorded', { orderId });
}

export function startReceipts() {
  const connection = amqp.connect(['amqp://rabbitmq']);
  return connection.createChannel({
    json: true,
    setup: (channel: Channel) =>
      Promise.all([
        channel.assertQueue('billing.receipts', { durable: true }),
        channel.prefetch(10),
        channel.consume('billing.receipts', (msg) => handleReceipt(channel, msg)),
      ]),
  });
}
`,
    },
    {
      name: 'amqplib ack in finally runs after the awaited work on every path',
      files: { 'logger.ts': LOGGER },
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';
import { logger } from './logger';

interface ProfileDeleted {
  userId: string;
}

const pool = new Pool();

export async function startErasure(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('gdpr.erasure', async (msg) => {
    if (!msg) return;
    const { userId } = JSON.parse(msg.content.toString()) as ProfileDeleted;
    try {
      await pool.query('DELETE FROM user_profiles WHERE user_id = $1', [userId]);
      await pool.query('DELETE FROM user_sessions WHERE user_id = $1', [userId]);
    } finally {
      channel.ack(msg);
      logger.info('erasure handled', { userId });
    }
  });
}
`,
    },
    {
      name: 'amqplib starts an upload, awaits it (const p = ...; await p) before the ack',
      files: {
        'events.ts': EVENTS,
        'services/archive.ts': `import type { OrderPlaced } from '../events';

const ARCHIVE_BUCKET = 'https://archive.example.com/orders/';

export class OrderArchive {
  async store(order: OrderPlaced): Promise<void> {
    await fetch(ARCHIVE_BUCKET + order.orderId + '.json', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
  }
}
`,
      },
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';
import type { OrderPlaced } from './events';
import { OrderArchive } from './services/archive';

const pool = new Pool();
const archive = new OrderArchive();

export async function startArchiver(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('orders.archive', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as OrderPlaced;
    const archived = archive.store(order);
    const { rows } = await pool.query('SELECT segment FROM customers WHERE id = $1', [order.customerId]);
    await archived;
    channel.ack(msg);
    console.log('archived order', order.orderId, 'segment', rows[0]?.segment);
  });
}
`,
    },
    {
      name: 'amqplib switch dispatch awaits each branch before the single ack',
      files: {
        'logger.ts': LOGGER,
        'services/refunds.ts': `import { Pool } from 'pg';

const pool = new Pool();

export interface RefundEvent {
  type: 'refund.requested' | 'refund.cancelled' | 'refund.unknown';
  refundId: string;
  orderId: string;
}

export async function openRefund(event: RefundEvent): Promise<void> {
  await pool.query('INSERT INTO refunds (id, order_id, status) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [event.refundId, event.orderId, 'open']);
}

export async function cancelRefund(event: RefundEvent): Promise<void> {
  await pool.query('UPDATE refunds SET status = $1 WHERE id = $2', ['cancelled', event.refundId]);
}
`,
      },
      code: `import amqp from 'amqplib';
import { cancelRefund, openRefund, type RefundEvent } from './services/refunds';
import { logger } from './logger';

export async function startRefundStates(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('payments.refund-state', async (msg) => {
    if (!msg) return;
    const event = JSON.parse(msg.content.toString()) as RefundEvent;
    switch (event.type) {
      case 'refund.requested':
        await openRefund(event);
        break;
      case 'refund.cancelled':
        await cancelRefund(event);
        break;
      default:
        logger.warn('unknown refund event', { type: event.type });
    }
    channel.ack(msg);
  });
}
`,
    },
    {
      name: 'amqplib channel.publish is synchronous (returns boolean): publish then ack is not dropped work',
      code: `import amqp from 'amqplib';

interface PaymentCaptured {
  paymentId: string;
  orderId: string;
  amountCents: number;
}

export async function startCaptureRelay(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.assertExchange('orders', 'topic', { durable: true });
  await channel.consume('payments.captured', (msg) => {
    if (!msg) return;
    const payment = JSON.parse(msg.content.toString()) as PaymentCaptured;
    channel.publish('orders', 'order.paid', Buffer.from(JSON.stringify({ orderId: payment.orderId })), {
      persistent: true,
      messageId: payment.paymentId,
    });
    channel.ack(msg);
  });
}
`,
    },

    {
      name: 'amqplib acks in the .then() of the awaited insert',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

interface DeviceRegistered {
  deviceId: string;
  ownerId: string;
}

const pool = new Pool();

export async function startDevices(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('devices.registered', async (msg) => {
    if (!msg) return;
    const device = JSON.parse(msg.content.toString()) as DeviceRegistered;
    await pool
      .query('INSERT INTO devices (id, owner_id) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [device.deviceId, device.ownerId])
      .then(() => channel.ack(msg));
  });
}
`,
    },
    {
      name: 'amqplib noAck:true handler that also acks before its work is double-ack, not this rule',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startClickstream(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume(
    'analytics.clicks',
    async (msg) => {
      if (!msg) return;
      channel.ack(msg);
      const click = JSON.parse(msg.content.toString()) as { elementId: string; sessionId: string };
      await pool.query('INSERT INTO clicks (element_id, session_id) VALUES ($1, $2)', [click.elementId, click.sessionId]);
    },
    { noAck: true },
  );
}
`,
    },

    // ---- sqs-consumer -----------------------------------------------------------------------
    {
      name: 'sqs-consumer Consumer.create handleMessage awaits the insert and returns the message',
      files: { 'logger.ts': LOGGER },
      code: `import { Consumer } from 'sqs-consumer';
import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';
import { logger } from './logger';

interface InvoiceRequested {
  invoiceId: string;
  orderId: string;
  amountCents: number;
}

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/invoice-requests';
const pool = new Pool();

export const invoiceConsumer = Consumer.create({
  queueUrl: QUEUE_URL,
  sqs: new SQSClient({ region: 'eu-west-1' }),
  handleMessage: async (message: Message) => {
    const request = JSON.parse(message.Body ?? '{}') as InvoiceRequested;
    await pool.query(
      'INSERT INTO invoices (id, order_id, amount_cents) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
      [request.invoiceId, request.orderId, request.amountCents],
    );
    logger.info('invoice stored', { invoiceId: request.invoiceId });
    return message;
  },
});
`,
    },
    {
      name: 'sqs-consumer new Consumer handleMessageBatch awaits Promise.all(messages.map(async ...))',
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import Redis from 'ioredis';

const redis = new Redis();
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/session-touches';

export const sessionConsumer = new Consumer({
  queueUrl: QUEUE_URL,
  batchSize: 10,
  handleMessageBatch: async (messages: Message[]) => {
    await Promise.all(
      messages.map(async (message) => {
        const { sessionId, lastSeen } = JSON.parse(message.Body ?? '{}') as { sessionId: string; lastSeen: string };
        await redis.set('session:' + sessionId + ':last-seen', lastSeen, 'EX', 3600);
      }),
    );
    return messages;
  },
});
`,
    },
    {
      name: 'sqs-consumer named non-async handler returns the promise chain',
      files: {
        'services/thumbnails.ts': `const RENDERER = 'https://imgproxy.internal.example.com/render';

export class ThumbnailService {
  async render(key: string): Promise<void> {
    const response = await fetch(RENDERER, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key, sizes: [64, 256, 1024] }),
    });
    if (!response.ok) throw new Error('render failed for ' + key);
  }
}
`,
      },
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { ThumbnailService } from './services/thumbnails';

const thumbnails = new ThumbnailService();

function handleImageUploaded(message: Message): Promise<Message> {
  const { key } = JSON.parse(message.Body ?? '{}') as { key: string };
  return thumbnails.render(key).then(() => message);
}

export const imageConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/image-uploads',
  handleMessage: handleImageUploaded,
});
`,
    },
    {
      name: 'sqs-consumer handler imported from another file awaits the Stripe refund',
      files: {
        'handlers/order-cancelled.ts': `import type { Message } from '@aws-sdk/client-sqs';
import { StripeRefunds } from '../services/refunds';

interface OrderCancelled {
  orderId: string;
  paymentIntentId: string;
}

const refunds = new StripeRefunds();

export const handleOrderCancelled = async (message: Message): Promise<Message> => {
  const event = JSON.parse(message.Body ?? '{}') as OrderCancelled;
  await refunds.refundOrder(event.orderId, event.paymentIntentId);
  return message;
};
`,
        'services/refunds.ts': `import Stripe from 'stripe';

export class StripeRefunds {
  private readonly stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

  async refundOrder(orderId: string, paymentIntentId: string): Promise<void> {
    await this.stripe.refunds.create({ payment_intent: paymentIntentId, metadata: { orderId } }, { idempotencyKey: 'refund-' + orderId });
  }
}
`,
      },
      code: `import { Consumer } from 'sqs-consumer';
import { handleOrderCancelled } from './handlers/order-cancelled';

export const cancellationConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/order-cancelled',
  handleMessage: handleOrderCancelled,
});
`,
    },
    {
      name: 'sqs-consumer deferred logging/metrics and a dropped read are not processing effects',
      files: {
        'logger.ts': LOGGER,
        'metrics.ts': METRICS,
        'services/recommendations.ts': `const RECOMMENDER = 'https://recs.internal.example.com/customers/';

/** Warms the recommender's cache for the customer: a GET, nothing changes. */
export async function warmRecommendations(customerId: string): Promise<void> {
  await fetch(RECOMMENDER + encodeURIComponent(customerId) + '/recommendations');
}
`,
      },
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';
import { logger } from './logger';
import { metrics } from './metrics';
import { warmRecommendations } from './services/recommendations';

interface CartAbandoned {
  cartId: string;
  customerId: string;
}

const pool = new Pool();

export const abandonedCarts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/cart-abandoned',
  handleMessage: async (message: Message) => {
    const startedAt = Date.now();
    const event = JSON.parse(message.Body ?? '{}') as CartAbandoned;
    await pool.query('UPDATE carts SET status = $1 WHERE id = $2', ['abandoned', event.cartId]);
    void warmRecommendations(event.customerId);
    setImmediate(() => logger.debug('cart marked abandoned', { cartId: event.cartId }));
    queueMicrotask(() => metrics.timing('carts.abandoned.ms', Date.now() - startedAt));
    return message;
  },
});
`,
    },
    {
      name: 'sqs-consumer class worker (bind) awaits this.newsletter.subscribe() for each message of the batch',
      files: {
        'services/newsletter.ts': `const LISTS_API = 'https://api.newsletters.example.com/lists/';

export class NewsletterService {
  async subscribe(listId: string, email: string): Promise<void> {
    await fetch(LISTS_API + listId + '/members/' + encodeURIComponent(email), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, status: 'subscribed' }),
    });
  }
}
`,
      },
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { NewsletterService } from './services/newsletter';

export class NewsletterWorker {
  private readonly consumer: Consumer;

  constructor(private readonly newsletter: NewsletterService) {
    this.consumer = Consumer.create({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/newsletter-signups',
      handleMessageBatch: this.handleBatch.bind(this),
    });
  }

  start(): void {
    this.consumer.start();
  }

  private async handleBatch(messages: Message[]): Promise<Message[]> {
    for (const message of messages) {
      const { email, listId } = JSON.parse(message.Body ?? '{}') as { email: string; listId: string };
      await this.newsletter.subscribe(listId, email);
    }
    return messages;
  }
}
`,
    },
    {
      name: 'sqs-consumer starts sendMail, awaits another write, then awaits the email before returning',
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';

interface PaymentFailed {
  subscriptionId: string;
  email: string;
}

const pool = new Pool();
const transport = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export const dunning = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/payment-failed',
  handleMessage: async (message: Message) => {
    const event = JSON.parse(message.Body ?? '{}') as PaymentFailed;
    const emailing = transport.sendMail({ to: event.email, subject: 'Payment failed', text: 'Please update your card.' });
    await pool.query('UPDATE subscriptions SET status = $1 WHERE id = $2', ['past_due', event.subscriptionId]);
    await emailing;
    return message;
  },
});
`,
    },
    {
      name: 'sqs-consumer starts the index write and the email, then awaits Promise.all of both',
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import nodemailer from 'nodemailer';

interface ArticlePublished {
  articleId: string;
  title: string;
  authorEmail: string;
}

const SEARCH_URL = 'https://search.internal.example.com/articles/_doc/';
const transport = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export const publishedConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/article-published',
  handleMessage: async (message: Message) => {
    const article = JSON.parse(message.Body ?? '{}') as ArticlePublished;
    const indexing = fetch(SEARCH_URL + article.articleId, { method: 'PUT', body: JSON.stringify({ title: article.title }) });
    const notifying = transport.sendMail({ to: article.authorEmail, subject: 'Published: ' + article.title, text: 'Your article is live.' });
    await Promise.all([indexing, notifying]);
    return message;
  },
});
`,
    },
  ],

  invalid: [
    {
      name: 'Pub/Sub: a Cloud Run job started through a helper without await, the client made in another module, then the ack',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { jobs } from './clients';

async function startRender(siteId: string): Promise<void> {
  const [operation] = await jobs.runJob({ name: 'projects/sites/locations/eu/jobs/render', overrides: { containerOverrides: [{ env: [{ name: 'SITE_ID', value: siteId }] }] } });
  await operation.promise();
}

new PubSub().subscription('site-renders').on('message', async (message: Message) => {
  const { siteId } = JSON.parse(message.data.toString()) as { siteId: string };
  startRender(siteId);
  message.ack();
});
`,
      files: {
        'clients.ts': `import { JobsClient } from '@google-cloud/run';

export const jobs = new JobsClient();
`,
      },
      errors: [{ line: 11, messageId: 'unawaitedBeforeAck', data: 'Cloud Run runJob' }],
    },
    {
      name: 'Pub/Sub: a download whose error listener rejects, then an upload started without await before the ack',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';

function download(url: string, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const file = createWriteStream(path);
    Readable.from([url])
      .on('error', (err) => {
        file.destroy();
        reject(err);
      })
      .pipe(file)
      .on('finish', resolve);
  });
}

async function mirror(path: string): Promise<void> {
  await fetch('https://mirror.example.com/uploads', { method: 'POST', body: path });
}

new PubSub().subscription('clips').on('message', async (message: Message) => {
  const path = '/tmp/' + message.id;
  await download(message.data.toString(), path);
  void mirror(path);
  message.ack();
});
`,
      errors: [{ line: 25, messageId: 'unawaitedBeforeAck' }],
    },
    {
      name: 'amqplib: a chain left running, and the ack after the statement that starts it',
      code: CHAINED_ACK(`    handle(msg).then(() => console.log('handled'));
    channel.ack(msg);`),
      errors: [{ line: 13, messageId: 'unawaitedBeforeAck' }],
    },
    {
      name: 'nats: a loaded order (let, assigned in a try) saved in a transaction, acked inside it before the commit',
      code: JETSTREAM_SUBSCRIBE,
      files: { 'models.ts': SEQUELIZE_ORDERS, 'listener.ts': loadedThenSaved('    m.ack();\n') },
      errors: [{ line: 7, messageId: 'ackBeforeCommit' }],
    },
    {
      name: 'nats: an order changed through set({ … }).save() in a transaction, acked inside it before the commit',
      code: JETSTREAM_SUBSCRIBE,
      files: {
        'models.ts': SEQUELIZE_ORDERS,
        'listener.ts': `import { JsMsg } from 'nats';
import { Order, sequelize } from './models';

export const onOrderExpired = async (m: JsMsg) => {
  const { orderId } = JSON.parse(m.string()) as { orderId: number };
  await sequelize.transaction(async (t) => {
    const order = await Order.findByPk(orderId, { transaction: t, lock: true });
    if (!order) return m.term();
    await order.set({ status: 'cancelled' }).save({ transaction: t });
    m.ack();
  });
};
`,
      },
      errors: [{ line: 7, messageId: 'ackBeforeCommit', data: 'order.set(…).save' }],
    },
    // ---- kafkajs ----------------------------------------------------------------------------
    {
      name: 'kafkajs autoCommit:false commits the offset before the insert',
      files: { 'events.ts': EVENTS },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';

const kafka = new Kafka({ clientId: 'billing', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'billing' });
const pool = new Pool();

export async function startBilling(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      const order = parseOrderPlaced(message.value);
      if (!order) return;
      await pool.query(
        'INSERT INTO invoices (order_id, amount_cents, currency) VALUES ($1, $2, $3)',
        [order.orderId, order.totalCents, order.currency],
      );
    },
  });
}
`,
      errors: [
        {
          line: 14,
          messageId: 'ackBeforeProcessing',
          data: ["kafkajs consumer of topic 'orders.placed'", 'commitOffsets()', 'INSERT INTO invoices'],
          related: 1,
          severity: 'error',
        },
      ],
    },
    {
      name: 'kafkajs eachMessage (autoCommit) drops producer.send with void',
      files: { 'events.ts': EVENTS, 'logger.ts': LOGGER },
      code: `import { Kafka } from 'kafkajs';
import { parseOrderPlaced } from './events';
import { logger } from './logger';

const kafka = new Kafka({ clientId: 'order-router', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'order-router' });
const producer = kafka.producer();

export async function startRouter(): Promise<void> {
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = parseOrderPlaced(message.value);
      if (!order) return;
      void producer.send({
        topic: 'fulfilment.requested',
        messages: [{ key: order.orderId, value: JSON.stringify({ orderId: order.orderId, lines: order.lines }) }],
      });
      logger.info('routed order', { orderId: order.orderId });
    },
  });
}
`,
      errors: [
        {
          line: 16,
          messageId: 'unawaitedAtReturn',
          data: [
            "kafkajs consumer of topic 'orders.placed'",
            'Kafka producer.send → fulfilment.requested',
            'the offset is committed',
          ],
          related: 1,
          severity: 'error',
        },
      ],
    },
    {
      name: 'kafkajs eachMessage drops the promise of a cross-file helper that POSTs to the warehouse',
      files: {
        'events.ts': EVENTS,
        'services/warehouse.ts': `import type { OrderPlaced } from '../events';

const WAREHOUSE_API = 'https://wms.internal.example.com/api/picklists';

export async function notifyWarehouse(order: OrderPlaced): Promise<void> {
  const response = await fetch(WAREHOUSE_API, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reference: order.orderId, lines: order.lines }),
  });
  if (!response.ok) throw new Error('warehouse rejected ' + order.orderId + ': ' + response.status);
}
`,
      },
      code: `import { Kafka } from 'kafkajs';
import { parseOrderPlaced } from './events';
import { notifyWarehouse } from './services/warehouse';

const kafka = new Kafka({ clientId: 'warehouse-bridge', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'warehouse-bridge' });

export async function startWarehouseBridge(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = parseOrderPlaced(message.value);
      if (!order) return;
      notifyWarehouse(order);
    },
  });
}
`,
      errors: [
        {
          line: 14,
          messageId: 'unawaitedAtReturn',
          data: [
            "kafkajs consumer of topic 'orders.placed'",
            'HTTP POST https://wms.internal.example.com/api/picklists',
            'notifyWarehouse()',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'kafkajs eachMessage runs relative stock updates in lines.forEach(async ...)',
      files: { 'events.ts': EVENTS },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';

const kafka = new Kafka({ clientId: 'stock', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'stock-reserver' });
const pool = new Pool();

export async function startStockReserver(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = parseOrderPlaced(message.value);
      if (!order) return;
      order.lines.forEach(async (line) => {
        await pool.query('UPDATE stock SET reserved = reserved + $1 WHERE sku = $2', [line.quantity, line.sku]);
      });
    },
  });
}
`,
      errors: [
        {
          line: 16,
          messageId: 'unawaitedAtReturn',
          data: ["kafkajs consumer of topic 'orders.placed'", 'UPDATE stock (relative)', 'the offset is committed'],
        },
      ],
    },
    {
      name: 'kafkajs eachBatch resolves the offset before crediting the ledger (service in another file)',
      files: {
        'services/ledger.ts': `import { Pool } from 'pg';

const pool = new Pool();

export class LedgerService {
  async credit(accountId: string, paymentId: string, amountCents: number): Promise<void> {
    await pool.query('UPDATE accounts SET balance_cents = balance_cents + $1 WHERE id = $2', [amountCents, accountId]);
    await pool.query(
      'INSERT INTO ledger_entries (payment_id, account_id, amount_cents) VALUES ($1, $2, $3)',
      [paymentId, accountId, amountCents],
    );
  }
}
`,
      },
      code: `import { Kafka } from 'kafkajs';
import { LedgerService } from './services/ledger';

interface PaymentSettled {
  paymentId: string;
  accountId: string;
  amountCents: number;
}

const kafka = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'ledger-writer' });
const ledger = new LedgerService();

export async function startLedger(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.settled' });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        resolveOffset(message.offset);
        const payment = JSON.parse(message.value?.toString() ?? '{}') as PaymentSettled;
        await ledger.credit(payment.accountId, payment.paymentId, payment.amountCents);
        await heartbeat();
      }
    },
  });
}
`,
      errors: [
        {
          line: 20,
          messageId: 'ackBeforeProcessing',
          data: [
            "kafkajs consumer of topic 'payments.settled'",
            'resolveOffset()',
            'UPDATE accounts (relative)',
            'INSERT INTO ledger_entries',
            'LedgerService.credit()',
          ],
          // each effect, plus the handler's call into LedgerService.credit() (listed once)
          related: 3,
        },
      ],
    },
    {
      name: 'kafkajs eachBatch indexes in messages.forEach(async ...) and resolves the batch before it finishes',
      files: { 'services/search-indexer.ts': SEARCH_INDEXER },
      code: `import { Kafka } from 'kafkajs';
import { indexProduct } from './services/search-indexer';

const kafka = new Kafka({ clientId: 'catalog-indexer', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'catalog-indexer' });

export async function startIndexer(): Promise<void> {
  await consumer.subscribe({ topic: 'catalog.products' });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
      batch.messages.forEach(async (message) => {
        await indexProduct(message);
      });
      resolveOffset(batch.lastOffset());
      await heartbeat();
      await commitOffsetsIfNecessary();
    },
  });
}
`,
      errors: [
        {
          line: 12,
          messageId: 'unawaitedBeforeAck',
          data: ["kafkajs consumer of topic 'catalog.products'", 'HTTP PUT', 'indexProduct()', 'resolveOffset()'],
          related: 3,
        },
      ],
    },
    {
      name: 'kafkajs handler imported from another file drops the tracking email',
      files: {
        'logger.ts': LOGGER,
        'handlers/shipments.ts': `import type { EachMessagePayload } from 'kafkajs';
import { CustomerMailer } from '../services/customer-mailer';
import { logger } from '../logger';

interface ShipmentDispatched {
  shipmentId: string;
  orderId: string;
  customerEmail: string;
  trackingUrl: string;
}

const mailer = new CustomerMailer();

export async function handleShipmentDispatched({ message }: EachMessagePayload): Promise<void> {
  const event = JSON.parse(message.value?.toString() ?? '{}') as ShipmentDispatched;
  logger.info('shipment dispatched', { shipmentId: event.shipmentId });
  mailer.sendTrackingEmail(event.customerEmail, event.orderId, event.trackingUrl);
}
`,
        'services/customer-mailer.ts': `import nodemailer from 'nodemailer';

export class CustomerMailer {
  private readonly transport = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

  async sendTrackingEmail(to: string, orderId: string, trackingUrl: string): Promise<void> {
    await this.transport.sendMail({
      from: 'orders@shop.example.com',
      to,
      subject: 'Your order ' + orderId + ' is on its way',
      text: 'Track it here: ' + trackingUrl,
    });
  }
}
`,
      },
      code: `import { Kafka } from 'kafkajs';
import { handleShipmentDispatched } from './handlers/shipments';

const kafka = new Kafka({ clientId: 'notifications', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'shipment-notifications' });

export async function startShipmentNotifications(): Promise<void> {
  await consumer.subscribe({ topic: 'shipments.dispatched' });
  await consumer.run({ eachMessage: handleShipmentDispatched });
}
`,
      errors: [
        {
          file: 'handlers/shipments.ts',
          line: 17,
          messageId: 'unawaitedAtReturn',
          data: [
            "kafkajs consumer of topic 'shipments.dispatched'",
            'sendMail (email)',
            'CustomerMailer.sendTrackingEmail()',
            'the offset is committed',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'kafkajs class consumer (bind) commits before this.billing.chargeOrder() charges the card',
      files: {
        'events.ts': EVENTS,
        'logger.ts': LOGGER,
        'services/billing.ts': `import Stripe from 'stripe';
import type { OrderPlaced } from '../events';

export class BillingService {
  private readonly stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

  async chargeOrder(order: OrderPlaced): Promise<Stripe.PaymentIntent> {
    return this.stripe.paymentIntents.create({
      amount: order.totalCents,
      currency: order.currency.toLowerCase(),
      customer: order.customerId,
      confirm: true,
      metadata: { orderId: order.orderId },
    });
  }
}
`,
      },
      code: `import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { BillingService } from './services/billing';
import { parseOrderPlaced } from './events';
import { logger } from './logger';

export class InvoiceConsumer {
  private readonly consumer: Consumer;

  constructor(kafka: Kafka, private readonly billing: BillingService) {
    this.consumer = kafka.consumer({ groupId: 'invoicing' });
  }

  async start(): Promise<void> {
    await this.consumer.subscribe({ topic: 'orders.placed' });
    await this.consumer.run({ autoCommit: false, eachMessage: this.onMessage.bind(this) });
  }

  private async onMessage({ topic, partition, message }: EachMessagePayload): Promise<void> {
    const order = parseOrderPlaced(message.value);
    await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    if (!order) {
      logger.warn('unparseable order', { offset: message.offset });
      return;
    }
    await this.billing.chargeOrder(order);
  }
}
`,
      errors: [
        {
          line: 20,
          messageId: 'ackBeforeProcessing',
          data: [
            "kafkajs consumer of topic 'orders.placed'",
            'commitOffsets()',
            'Stripe paymentIntents.create',
            'BillingService.chargeOrder()',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'kafkajs eachMessage starts an audit insert with .then() and returns without it',
      files: { 'logger.ts': LOGGER },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { logger } from './logger';

interface UserSignedUp {
  userId: string;
  email: string;
  referrer?: string;
}

const kafka = new Kafka({ clientId: 'audit', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'audit-trail' });
const pool = new Pool();

export async function startAudit(): Promise<void> {
  await consumer.subscribe({ topic: 'users.signed-up' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value?.toString() ?? '{}') as UserSignedUp;
      pool.query('INSERT INTO audit_log (user_id, action, detail) VALUES ($1, $2, $3)', [event.userId, 'signed-up', event.referrer ?? null])
        .then(() => logger.debug('audit row written', { userId: event.userId }))
        .catch((error: unknown) => logger.error('audit write failed', { error: String(error) }));
    },
  });
}
`,
      errors: [
        {
          line: 20,
          messageId: 'unawaitedAtReturn',
          data: ["kafkajs consumer of topic 'users.signed-up'", 'INSERT INTO audit_log'],
        },
      ],
    },
    {
      name: 'kafkajs autoCommit:false starts producer.send without await, then commits',
      files: { 'events.ts': EVENTS },
      code: `import { Kafka } from 'kafkajs';
import { parseOrderPlaced } from './events';

const kafka = new Kafka({ clientId: 'order-events', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'order-events-fanout' });
const producer = kafka.producer({ idempotent: true });

export async function startFanout(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const order = parseOrderPlaced(message.value);
      if (order) {
        producer.send({
          topic: 'customers.activity',
          messages: [{ key: order.customerId, value: JSON.stringify({ type: 'order-placed', orderId: order.orderId }) }],
        });
      }
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
    },
  });
}
`,
      errors: [
        {
          line: 15,
          messageId: 'unawaitedBeforeAck',
          data: [
            "kafkajs consumer of topic 'orders.placed'",
            'Kafka producer.send → customers.activity',
            'commitOffsets()',
          ],
          related: 2,
        },
      ],
    },

    {
      name: 'kafkajs eachMessage starts Promise.all(lines.map(async ...)) without awaiting it',
      files: { 'events.ts': EVENTS },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';

const kafka = new Kafka({ clientId: 'reservations', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'reservations' });
const pool = new Pool();

export async function startReservations(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = parseOrderPlaced(message.value);
      if (!order) return;
      Promise.all(
        order.lines.map(async (line) => {
          await pool.query('INSERT INTO reservations (order_id, sku, quantity) VALUES ($1, $2, $3)', [order.orderId, line.sku, line.quantity]);
        }),
      );
    },
  });
}
`,
      errors: [
        {
          line: 17,
          messageId: 'unawaitedAtReturn',
          data: ["kafkajs consumer of topic 'orders.placed'", 'INSERT INTO reservations', 'the offset is committed'],
        },
      ],
    },
    {
      name: 'kafkajs autoCommit:false commits before an idempotent DELETE (idempotent writes are processing too)',
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

interface CartCheckedOut {
  cartId: string;
}

const kafka = new Kafka({ clientId: 'carts', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'cart-cleanup' });
const pool = new Pool();

export async function startCartCleanup(): Promise<void> {
  await consumer.subscribe({ topic: 'carts.checked-out' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const { cartId } = JSON.parse(message.value?.toString() ?? '{}') as CartCheckedOut;
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      await pool.query('DELETE FROM cart_items WHERE cart_id = $1', [cartId]);
    },
  });
}
`,
      errors: [
        {
          line: 18,
          messageId: 'ackBeforeProcessing',
          data: ["kafkajs consumer of topic 'carts.checked-out'", 'commitOffsets()', 'DELETE FROM cart_items'],
        },
      ],
    },

    {
      name: 'kafkajs non-async eachMessage with a block body forgets to return the projector promise',
      files: {
        'services/customer-projector.ts': `import type { Pool } from 'pg';

export class CustomerProjector {
  constructor(private readonly pool: Pool) {}

  async apply(customerId: string, email: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO customers (id, email) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email',
      [customerId, email],
    );
  }
}
`,
      },
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { CustomerProjector } from './services/customer-projector';

const kafka = new Kafka({ clientId: 'crm', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'crm-projection' });
const projector = new CustomerProjector(new Pool());

export async function startCrm(): Promise<void> {
  await consumer.subscribe({ topic: 'customers.updated' });
  await consumer.run({
    eachMessage: ({ message }) => {
      const { customerId, email } = JSON.parse(message.value?.toString() ?? '{}') as { customerId: string; email: string };
      projector.apply(customerId, email);
      return Promise.resolve();
    },
  });
}
`,
      errors: [
        {
          line: 14,
          messageId: 'unawaitedAtReturn',
          data: [
            "kafkajs consumer of topic 'customers.updated'",
            'INSERT INTO customers … ON CONFLICT',
            'CustomerProjector.apply()',
            'the offset is committed',
          ],
        },
      ],
    },

    // ---- amqplib ----------------------------------------------------------------------------
    {
      name: 'amqplib acks before the insert',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';
const pool = new Pool();
export async function start() {
  const connection = await amqp.connect('amqp://localhost');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    channel.ack(msg);
    await pool.query('INSERT INTO orders (id, total) VALUES ($1, $2)', [msg.properties.messageId, 10]);
  });
}
`,
      errors: [
        {
          line: 9,
          messageId: 'ackBeforeProcessing',
          data: ["amqplib consumer of queue 'orders'", 'INSERT INTO orders'],
          related: 1,
          severity: 'error',
        },
      ],
    },
    {
      name: 'amqplib acks, then starts sendMail with void',
      code: `import amqp from 'amqplib';
import nodemailer from 'nodemailer';

interface WelcomeEmailRequested {
  userId: string;
  email: string;
  name: string;
}

const transport = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export async function startWelcomeMailer(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('users.welcome-email', async (msg) => {
    if (!msg) return;
    const request = JSON.parse(msg.content.toString()) as WelcomeEmailRequested;
    channel.ack(msg);
    void transport.sendMail({
      from: 'hello@shop.example.com',
      to: request.email,
      subject: 'Welcome, ' + request.name,
      text: 'Thanks for signing up.',
    });
  });
}
`,
      errors: [
        {
          line: 18,
          messageId: 'ackBeforeProcessing',
          data: ["amqplib consumer of queue 'users.welcome-email'", 'channel.ack()', 'sendMail (email)'],
          related: 1,
        },
      ],
    },
    {
      name: 'amqplib drops a webhook call with void (service in another file), then acks',
      files: {
        'logger.ts': LOGGER,
        'services/tracking-webhook.ts': `export interface PackageScanned {
  shipmentId: string;
  orderId: string;
  depot: string;
}

export class TrackingWebhook {
  constructor(private readonly endpoint: string) {}

  async shipmentInTransit(scan: PackageScanned): Promise<void> {
    await fetch(this.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'in-transit', ...scan }),
    });
  }
}
`,
      },
      code: `import amqp from 'amqplib';
import { TrackingWebhook, type PackageScanned } from './services/tracking-webhook';
import { logger } from './logger';

const webhook = new TrackingWebhook(process.env.TRACKING_WEBHOOK_URL ?? 'http://localhost:8080/hooks');

export async function startScanner(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('depot.scans', async (msg) => {
    if (!msg) return;
    const scan = JSON.parse(msg.content.toString()) as PackageScanned;
    void webhook.shipmentInTransit(scan);
    logger.info('scan processed', { shipmentId: scan.shipmentId });
    channel.ack(msg);
  });
}
`,
      errors: [
        {
          line: 13,
          messageId: 'unawaitedBeforeAck',
          data: [
            "amqplib consumer of queue 'depot.scans'",
            'HTTP POST',
            'TrackingWebhook.shipmentInTransit()',
            'channel.ack()',
          ],
          related: 3,
        },
      ],
    },
    {
      name: 'amqplib drops the promise of a non-async helper that returns a promise, then acks',
      files: {
        'services/audit.ts': `import { Pool } from 'pg';

const pool = new Pool();

export function recordAuditEntry(accountId: string, field: string, actor: string): Promise<void> {
  return pool
    .query('INSERT INTO audit_entries (account_id, field, actor) VALUES ($1, $2, $3)', [accountId, field, actor])
    .then(() => undefined);
}
`,
      },
      code: `import amqp from 'amqplib';
import { recordAuditEntry } from './services/audit';

interface AccountChanged {
  accountId: string;
  field: string;
  actor: string;
}

export async function startAccountAudit(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('accounts.changes', async (msg) => {
    if (!msg) return;
    const change = JSON.parse(msg.content.toString()) as AccountChanged;
    recordAuditEntry(change.accountId, change.field, change.actor);
    channel.ack(msg);
  });
}
`,
      errors: [
        {
          line: 16,
          messageId: 'unawaitedBeforeAck',
          data: [
            "amqplib consumer of queue 'accounts.changes'",
            'INSERT INTO audit_entries',
            'recordAuditEntry()',
            'channel.ack()',
          ],
          related: 3,
        },
      ],
    },
    {
      name: 'amqplib class worker (bind) acks, then awaits this.fulfilment.ship()',
      files: {
        'events.ts': EVENTS,
        'logger.ts': LOGGER,
        'services/fulfilment.ts': `import type { OrderPlaced } from '../events';

export class FulfilmentClient {
  constructor(private readonly baseUrl = 'https://fulfilment.internal.example.com') {}

  async ship(order: OrderPlaced): Promise<void> {
    const response = await fetch(this.baseUrl + '/shipments', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-order-id': order.orderId },
      body: JSON.stringify({ orderId: order.orderId, lines: order.lines }),
    });
    if (!response.ok) throw new Error('fulfilment failed with ' + response.status);
  }
}
`,
      },
      code: `import type { Channel, ConsumeMessage } from 'amqplib';
import { FulfilmentClient } from './services/fulfilment';
import { parseOrderPlaced } from './events';
import { logger } from './logger';

export class FulfilmentWorker {
  constructor(
    private readonly channel: Channel,
    private readonly fulfilment: FulfilmentClient,
  ) {}

  async start(): Promise<void> {
    await this.channel.assertQueue('orders.fulfil', { durable: true });
    await this.channel.consume('orders.fulfil', this.handle.bind(this));
  }

  private async handle(msg: ConsumeMessage | null): Promise<void> {
    if (!msg) return;
    const order = parseOrderPlaced(msg.content);
    if (!order) {
      this.channel.nack(msg, false, false);
      return;
    }
    this.channel.ack(msg);
    logger.info('fulfilling', { orderId: order.orderId });
    await this.fulfilment.ship(order);
  }
}
`,
      errors: [
        {
          line: 24,
          messageId: 'ackBeforeProcessing',
          data: ["amqplib consumer of queue 'orders.fulfil'", 'channel.ack()', 'HTTP POST', 'FulfilmentClient.ship()'],
          related: 2,
        },
      ],
    },
    {
      name: 'amqp-connection-manager setup acks before the relative rating update',
      code: `import amqp from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

interface ReviewSubmitted {
  reviewId: string;
  productId: string;
  rating: number;
}

const pool = new Pool();
const connection = amqp.connect(['amqp://rabbitmq']);

export const reviewsChannel = connection.createChannel({
  json: true,
  setup: async (channel: ConfirmChannel) => {
    await channel.assertQueue('catalog.reviews', { durable: true });
    await channel.consume('catalog.reviews', async (msg: ConsumeMessage | null) => {
      if (!msg) return;
      channel.ack(msg);
      const review = JSON.parse(msg.content.toString()) as ReviewSubmitted;
      await pool.query(
        'UPDATE products SET rating_sum = rating_sum + $1, rating_count = rating_count + 1 WHERE id = $2',
        [review.rating, review.productId],
      );
    });
  },
});
`,
      errors: [
        {
          line: 20,
          messageId: 'ackBeforeProcessing',
          data: ["amqplib consumer of queue 'catalog.reviews'", 'channel.ack()', 'UPDATE products (relative)'],
          related: 1,
        },
      ],
    },
    {
      name: 'amqplib decrements stock in lines.forEach(async ...) and acks before it finishes',
      files: { 'events.ts': EVENTS },
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';
import { parseOrderPlaced } from './events';

const pool = new Pool();

export async function startStockDecrement(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('stock.decrement', async (msg) => {
    if (!msg) return;
    const order = parseOrderPlaced(msg.content);
    if (!order) return channel.nack(msg, false, false);
    order.lines.forEach(async (line) => {
      await pool.query('UPDATE stock SET on_hand = on_hand - $1 WHERE sku = $2', [line.quantity, line.sku]);
    });
    channel.ack(msg);
  });
}
`,
      errors: [
        {
          line: 15,
          messageId: 'unawaitedBeforeAck',
          data: ["amqplib consumer of queue 'stock.decrement'", 'UPDATE stock (relative)', 'channel.ack()'],
          related: 2,
        },
      ],
    },
    {
      name: 'amqplib fires a CRM webhook with .then() and acks without waiting',
      files: { 'logger.ts': LOGGER },
      code: `import amqp from 'amqplib';
import { logger } from './logger';

interface InvoicePaid {
  invoiceId: string;
  customerId: string;
  amountCents: number;
}

const CRM_WEBHOOK = 'https://crm.example.com/hooks/invoice-paid';

export async function startCrmSync(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('billing.invoice-paid', async (msg) => {
    if (!msg) return;
    const invoice = JSON.parse(msg.content.toString()) as InvoicePaid;
    fetch(CRM_WEBHOOK, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(invoice) })
      .then((response) => logger.info('crm notified', { status: response.status }));
    channel.ack(msg);
  });
}
`,
      errors: [
        {
          line: 18,
          messageId: 'unawaitedBeforeAck',
          data: [
            "amqplib consumer of queue 'billing.invoice-paid'",
            'HTTP POST https://crm.example.com/hooks/invoice-paid',
            'channel.ack()',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'amqplib acks through a helper in another file before the insert',
      files: {
        'logger.ts': LOGGER,
        'messaging/settle.ts': `import type { Channel, ConsumeMessage } from 'amqplib';
import { logger } from '../logger';

export function settle(channel: Channel, msg: ConsumeMessage): void {
  logger.debug('acking', { deliveryTag: msg.fields.deliveryTag });
  channel.ack(msg);
}
`,
      },
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';
import { settle } from './messaging/settle';

interface RefundApproved {
  refundId: string;
  orderId: string;
  amountCents: number;
}

const pool = new Pool();

export async function startRefunds(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('payments.refund-approved', async (msg) => {
    if (!msg) return;
    const refund = JSON.parse(msg.content.toString()) as RefundApproved;
    settle(channel, msg);
    await pool.query(
      'INSERT INTO refunds (id, order_id, amount_cents) VALUES ($1, $2, $3)',
      [refund.refundId, refund.orderId, refund.amountCents],
    );
  });
}
`,
      errors: [
        {
          line: 19,
          messageId: 'ackBeforeProcessing',
          data: ["amqplib consumer of queue 'payments.refund-approved'", 'channel.ack()', 'INSERT INTO refunds'],
          related: 1,
        },
      ],
    },
    {
      name: 'amqplib acks low-priority messages up front, then does the insert on that path too',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

interface TicketOpened {
  ticketId: string;
  priority: 'low' | 'normal' | 'urgent';
  subject: string;
}

const pool = new Pool();

export async function startTickets(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('support.tickets', async (msg) => {
    if (!msg) return;
    const ticket = JSON.parse(msg.content.toString()) as TicketOpened;
    if (ticket.priority === 'low') {
      channel.ack(msg);
    }
    await pool.query('INSERT INTO tickets (id, priority, subject) VALUES ($1, $2, $3)', [ticket.ticketId, ticket.priority, ticket.subject]);
    if (ticket.priority !== 'low') channel.ack(msg);
  });
}
`,
      errors: [
        {
          line: 19,
          messageId: 'ackBeforeProcessing',
          data: ["amqplib consumer of queue 'support.tickets'", 'channel.ack()', 'INSERT INTO tickets'],
          related: 1,
        },
      ],
    },

    {
      name: 'amqplib acks in the .then() of the first write, before the confirmation email',
      code: `import amqp from 'amqplib';
import nodemailer from 'nodemailer';
import { Pool } from 'pg';

interface BookingConfirmed {
  bookingId: string;
  guestEmail: string;
  nights: number;
}

const pool = new Pool();
const transport = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export async function startBookings(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('bookings.confirmed', async (msg) => {
    if (!msg) return;
    const booking = JSON.parse(msg.content.toString()) as BookingConfirmed;
    await pool
      .query('UPDATE bookings SET status = $1 WHERE id = $2', ['confirmed', booking.bookingId])
      .then(() => channel.ack(msg));
    await transport.sendMail({ to: booking.guestEmail, subject: 'Booking confirmed', text: booking.nights + ' nights booked.' });
  });
}
`,
      errors: [
        {
          line: 22,
          messageId: 'ackBeforeProcessing',
          data: ["amqplib consumer of queue 'bookings.confirmed'", 'channel.ack()', 'sendMail (email)'],
        },
      ],
    },
    {
      name: 'amqplib calls a local async closure without await, then acks (queue name from a const)',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const LOYALTY_QUEUE = 'loyalty.points-earned';
const pool = new Pool();

interface PointsEarned {
  memberId: string;
  points: number;
}

export async function startLoyalty(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume(LOYALTY_QUEUE, async (msg) => {
    if (!msg) return;
    const event = JSON.parse(msg.content.toString()) as PointsEarned;
    const addPoints = async () => {
      await pool.query('UPDATE members SET points = points + $1 WHERE id = $2', [event.points, event.memberId]);
    };
    addPoints();
    channel.ack(msg);
  });
}
`,
      errors: [
        {
          line: 21,
          messageId: 'unawaitedBeforeAck',
          data: [
            "amqplib consumer of queue 'loyalty.points-earned'",
            'UPDATE members (relative)',
            'addPoints()',
            'channel.ack()',
          ],
        },
      ],
    },

    {
      name: 'amqplib races the CRM sync against a timeout and acks while it may still run',
      files: {
        'services/crm.ts': `const CRM_API = 'https://crm.internal.example.com/contacts';

export async function syncContact(contactId: string, email: string): Promise<void> {
  await fetch(CRM_API, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contactId, email }) });
}
`,
      },
      code: `import amqp from 'amqplib';
import { syncContact } from './services/crm';

interface ContactChanged {
  contactId: string;
  email: string;
}

const CRM_TIMEOUT_MS = 10_000;

export async function startContactSync(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('crm.contacts', async (msg) => {
    if (!msg) return;
    const contact = JSON.parse(msg.content.toString()) as ContactChanged;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, CRM_TIMEOUT_MS));
    await Promise.race([syncContact(contact.contactId, contact.email), timeout]);
    channel.ack(msg);
  });
}
`,
      errors: [
        {
          line: 18,
          messageId: 'unawaitedBeforeAck',
          data: [
            "amqplib consumer of queue 'crm.contacts'",
            'HTTP POST https://crm.internal.example.com/contacts',
            'syncContact()',
            'channel.ack()',
          ],
        },
      ],
    },
    {
      name: 'amqplib named function handler (module-level channel) acks, then awaits the Stripe charge',
      code: `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import Stripe from 'stripe';

interface SubscriptionRenewed {
  subscriptionId: string;
  customerId: string;
  amountCents: number;
}

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');
let channel: Channel;

async function onRenewal(msg: ConsumeMessage | null): Promise<void> {
  if (!msg) return;
  const renewal = JSON.parse(msg.content.toString()) as SubscriptionRenewed;
  channel.ack(msg);
  await stripe.charges.create({ amount: renewal.amountCents, currency: 'eur', customer: renewal.customerId });
}

export async function startRenewals(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  channel = await connection.createChannel();
  await channel.prefetch(5);
  await channel.consume('billing.renewals', onRenewal);
}
`,
      errors: [
        {
          line: 16,
          messageId: 'ackBeforeProcessing',
          data: ["amqplib consumer of queue 'billing.renewals'", 'channel.ack()', 'Stripe charges.create'],
        },
      ],
    },

    // ---- sqs-consumer -----------------------------------------------------------------------
    {
      name: 'sqs-consumer handleMessage drops sendMail with void and returns',
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import nodemailer from 'nodemailer';

interface PaymentFailed {
  subscriptionId: string;
  email: string;
  attempt: number;
}

const transport = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export const dunningConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/payment-failed',
  handleMessage: async (message: Message) => {
    const event = JSON.parse(message.Body ?? '{}') as PaymentFailed;
    void transport.sendMail({
      to: event.email,
      subject: 'Your payment failed (attempt ' + event.attempt + ')',
      text: 'Please update your card.',
    });
    return message;
  },
});
`,
      errors: [
        {
          line: 17,
          messageId: 'unawaitedAtReturn',
          data: [
            "sqs-consumer consumer of queue 'payment-failed'",
            'sendMail (email)',
            'sqs-consumer deletes the message',
          ],
          related: 1,
          severity: 'error',
        },
      ],
    },
    {
      name: 'sqs-consumer class worker (new Consumer, bind) drops this.ledger.credit()',
      files: {
        'logger.ts': LOGGER,
        'services/wallet-ledger.ts': `import { Pool } from 'pg';

export class WalletLedger {
  private readonly pool = new Pool();

  async credit(walletId: string, topUpId: string, amountCents: number): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('UPDATE wallets SET balance_cents = balance_cents + $1 WHERE id = $2', [amountCents, walletId]);
      await client.query('INSERT INTO wallet_entries (top_up_id, wallet_id, amount_cents) VALUES ($1, $2, $3)', [topUpId, walletId, amountCents]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
}
`,
      },
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { WalletLedger } from './services/wallet-ledger';
import { logger } from './logger';

interface TopUpCompleted {
  walletId: string;
  topUpId: string;
  amountCents: number;
}

export class TopUpWorker {
  readonly consumer: Consumer;

  constructor(private readonly ledger: WalletLedger) {
    this.consumer = new Consumer({
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/wallet-topups',
      handleMessage: this.onTopUp.bind(this),
    });
  }

  private async onTopUp(message: Message): Promise<Message> {
    const event = JSON.parse(message.Body ?? '{}') as TopUpCompleted;
    this.ledger.credit(event.walletId, event.topUpId, event.amountCents);
    logger.info('top-up credited', { walletId: event.walletId });
    return message;
  }
}
`,
      errors: [
        {
          line: 24,
          messageId: 'unawaitedAtReturn',
          data: [
            "sqs-consumer consumer of queue 'wallet-topups'",
            'UPDATE wallets (relative)',
            'WalletLedger.credit()',
            'sqs-consumer deletes the message',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'sqs-consumer handleMessageBatch counts clicks in messages.forEach(async ...)',
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import Redis from 'ioredis';

const redis = new Redis();

export const clickConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ad-clicks',
  batchSize: 10,
  handleMessageBatch: async (messages: Message[]) => {
    messages.forEach(async (message) => {
      const click = JSON.parse(message.Body ?? '{}') as { campaignId: string; adId: string };
      await redis.hincrby('campaign:' + click.campaignId + ':clicks', click.adId, 1);
    });
    return messages;
  },
});
`,
      errors: [
        {
          line: 13,
          messageId: 'unawaitedAtReturn',
          data: ["sqs-consumer consumer of queue 'ad-clicks'", 'redis hincrby', 'sqs-consumer deletes the message'],
        },
      ],
    },
    {
      name: 'sqs-consumer schedules a reminder insert in a setTimeout callback and returns',
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';

interface CartAbandoned {
  cartId: string;
  customerId: string;
}

const pool = new Pool();
const REMINDER_DELAY_MS = 30 * 60 * 1000;

export const cartConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/cart-abandoned',
  handleMessage: async (message: Message) => {
    const event = JSON.parse(message.Body ?? '{}') as CartAbandoned;
    setTimeout(async () => {
      await pool.query('INSERT INTO reminders (cart_id, customer_id) VALUES ($1, $2)', [event.cartId, event.customerId]);
    }, REMINDER_DELAY_MS);
    return message;
  },
});
`,
      errors: [
        {
          line: 18,
          messageId: 'unawaitedAtReturn',
          data: [
            "sqs-consumer consumer of queue 'cart-abandoned'",
            'INSERT INTO reminders',
            'sqs-consumer deletes the message',
          ],
        },
      ],
    },
    {
      name: 'sqs-consumer creates a Stripe refund with .then() and returns before it completes',
      files: { 'logger.ts': LOGGER },
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import Stripe from 'stripe';
import { logger } from './logger';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export const refundConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/refund-requests',
  handleMessage: async (message: Message) => {
    const { paymentIntentId, orderId } = JSON.parse(message.Body ?? '{}') as { paymentIntentId: string; orderId: string };
    stripe.refunds.create({ payment_intent: paymentIntentId }, { idempotencyKey: 'refund-' + orderId }).then((refund) => {
      logger.info('refund created', { orderId, refundId: refund.id });
    });
    return message;
  },
});
`,
      errors: [
        {
          line: 12,
          messageId: 'unawaitedAtReturn',
          data: ["sqs-consumer consumer of queue 'refund-requests'", 'Stripe refunds.create'],
        },
      ],
    },
    {
      name: 'sqs-consumer maps lines to reservation promises but never awaits them',
      files: { 'events.ts': EVENTS, 'logger.ts': LOGGER },
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import type { OrderPlaced } from './events';
import { logger } from './logger';

const WAREHOUSE_API = 'https://wms.internal.example.com/api/reservations';

export const reservationConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/order-reservations',
  handleMessage: async (message: Message) => {
    const order = JSON.parse(message.Body ?? '{}') as OrderPlaced;
    const pending = order.lines.map(async (line) => {
      await fetch(WAREHOUSE_API, { method: 'POST', body: JSON.stringify({ orderId: order.orderId, sku: line.sku, quantity: line.quantity }) });
    });
    logger.info('reserving', { orderId: order.orderId, lines: pending.length });
    return message;
  },
});
`,
      errors: [
        {
          line: 13,
          messageId: 'unawaitedAtReturn',
          data: [
            "sqs-consumer consumer of queue 'order-reservations'",
            'HTTP POST https://wms.internal.example.com/api/reservations',
            'sqs-consumer deletes the message',
          ],
        },
      ],
    },
    {
      name: 'sqs-consumer handler imported from another file drops the search upsert',
      files: {
        'handlers/profile-updated.ts': `import type { Message } from '@aws-sdk/client-sqs';
import { SearchIndex } from '../services/search-index';

interface ProfileUpdated {
  userId: string;
  displayName: string;
  bio: string;
}

const search = new SearchIndex('https://search.internal.example.com');

export async function handleProfileUpdated(message: Message): Promise<Message> {
  const profile = JSON.parse(message.Body ?? '{}') as ProfileUpdated;
  search.upsertProfile(profile.userId, profile.displayName, profile.bio);
  return message;
}
`,
        'services/search-index.ts': `export class SearchIndex {
  constructor(private readonly baseUrl: string) {}

  async upsertProfile(userId: string, displayName: string, bio: string): Promise<void> {
    await fetch(this.baseUrl + '/profiles/_doc/' + encodeURIComponent(userId), {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ displayName, bio }),
    });
  }
}
`,
      },
      code: `import { Consumer } from 'sqs-consumer';
import { handleProfileUpdated } from './handlers/profile-updated';

export const profileConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/profile-updated',
  handleMessage: handleProfileUpdated,
});
`,
      errors: [
        {
          file: 'handlers/profile-updated.ts',
          line: 14,
          messageId: 'unawaitedAtReturn',
          data: [
            "sqs-consumer consumer of queue 'profile-updated'",
            'HTTP PUT',
            'SearchIndex.upsertProfile()',
            'sqs-consumer deletes the message',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'sqs-consumer awaits the CRM call on one branch and drops it on the other',
      files: {
        'services/crm.ts': `const CRM_API = 'https://crm.internal.example.com/customers/';

export class CrmClient {
  async flagVip(customerId: string): Promise<void> {
    await fetch(CRM_API + customerId + '/flags', { method: 'POST', body: JSON.stringify({ flag: 'vip' }) });
  }

  async touch(customerId: string): Promise<void> {
    await fetch(CRM_API + customerId, { method: 'PATCH', body: JSON.stringify({ lastOrderAt: new Date().toISOString() }) });
  }
}
`,
      },
      code: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { CrmClient } from './services/crm';

interface CustomerOrdered {
  customerId: string;
  lifetimeValueCents: number;
}

const crm = new CrmClient();

export const crmConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/customer-ordered',
  handleMessage: async (message: Message) => {
    const event = JSON.parse(message.Body ?? '{}') as CustomerOrdered;
    if (event.lifetimeValueCents > 1_000_000) {
      await crm.flagVip(event.customerId);
    } else {
      crm.touch(event.customerId);
    }
    return message;
  },
});
`,
      errors: [
        {
          line: 19,
          messageId: 'unawaitedAtReturn',
          data: [
            "sqs-consumer consumer of queue 'customer-ordered'",
            'HTTP PATCH',
            'CrmClient.touch()',
            'sqs-consumer deletes the message',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'sqs-consumer forwards to another queue fire-and-forget with only a .catch()',
      files: { 'logger.ts': LOGGER },
      code: `import { Consumer } from 'sqs-consumer';
import { SQSClient, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { logger } from './logger';

const sqs = new SQSClient({ region: 'eu-west-1' });
const FULFILMENT_QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/fulfilment-requests';

export const paidOrders = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-paid',
  sqs,
  handleMessage: async (message: Message) => {
    sqs.send(new SendMessageCommand({ QueueUrl: FULFILMENT_QUEUE, MessageBody: message.Body ?? '{}' })).catch((error: unknown) => {
      logger.error('could not forward order', { messageId: message.MessageId, error: String(error) });
    });
    return message;
  },
});
`,
      errors: [
        {
          line: 12,
          messageId: 'unawaitedAtReturn',
          data: [
            "sqs-consumer consumer of queue 'orders-paid'",
            'SQS SendMessage → fulfilment-requests',
            'sqs-consumer deletes the message',
          ],
        },
      ],
    },
  ],
});

// ---- related locations: where a finding points besides its own line (docs/model.md, "Wrappers, dispatch tables and where findings go") ------

const RELATED_LEDGER_SERVICE = `import { Pool } from 'pg';

const pool = new Pool();

export class LedgerService {
  async credit(accountId: string, paymentId: string, amountCents: number): Promise<void> {
    await pool.query('UPDATE accounts SET balance_cents = balance_cents + $1 WHERE id = $2', [amountCents, accountId]);
    await pool.query(
      'INSERT INTO ledger_entries (payment_id, account_id, amount_cents) VALUES ($1, $2, $3)',
      [paymentId, accountId, amountCents],
    );
  }
}
`;

const RELATED_ACK_THEN_SERVICE = `import amqp from 'amqplib';
import { LedgerService } from './services/ledger';

interface PaymentSettled {
  paymentId: string;
  accountId: string;
  amountCents: number;
}

const ledger = new LedgerService();

export async function startLedger(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('payments.settled', async (msg) => {
    if (!msg) return;
    const payment = JSON.parse(msg.content.toString()) as PaymentSettled;
    channel.ack(msg);
    await ledger.credit(payment.accountId, payment.paymentId, payment.amountCents);
  });
}
`;

const RELATED_DROPPED_SERVICE = `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { LedgerService } from './services/ledger';

const ledger = new LedgerService();

export const ledgerConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/payments-settled',
  handleMessage: async (message: Message) => {
    const payment = JSON.parse(message.Body ?? '{}') as { paymentId: string; accountId: string; amountCents: number };
    void ledger.credit(payment.accountId, payment.paymentId, payment.amountCents);
    return message;
  },
});
`;

const RELATED_SETTLE_HELPER = `import type { Channel, ConsumeMessage } from 'amqplib';

export function acknowledge(channel: Channel, msg: ConsumeMessage): void {
  channel.ack(msg);
}
`;

const RELATED_ACK_IN_HELPER = `import amqp from 'amqplib';
import { Pool } from 'pg';
import { acknowledge } from './messaging/acknowledge';

const pool = new Pool();

export async function startRefunds(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('payments.refund-approved', async (msg) => {
    if (!msg) return;
    const refund = JSON.parse(msg.content.toString()) as { refundId: string; amountCents: number };
    acknowledge(channel, msg);
    await pool.query('INSERT INTO refunds (id, amount_cents) VALUES ($1, $2)', [refund.refundId, refund.amountCents]);
  });
}
`;

function relatedAt(finding: Finding, fileSuffix: string, line: number): boolean {
  return finding.related.some(
    (related) => related.location.filePath.endsWith(fileSuffix) && related.location.line === line,
  );
}

function describeRelated(finding: Finding): string {
  return finding.related
    .map(
      (related) =>
        `${related.location.filePath.split('/').slice(-2).join('/')}:${related.location.line} ${related.message}`,
    )
    .join('\n');
}

for (const mode of MODES) {
  describe(`ack-before-process related locations (${mode})`, () => {
    let project: TestProject;
    let findings: Finding[] = [];

    before(() => {
      project = new TestProject(mode, 'abp-related');
      const files = project.write({
        'ack-then-service/consumer.ts': RELATED_ACK_THEN_SERVICE,
        'ack-then-service/services/ledger.ts': RELATED_LEDGER_SERVICE,
        'dropped-service/consumer.ts': RELATED_DROPPED_SERVICE,
        'dropped-service/services/ledger.ts': RELATED_LEDGER_SERVICE,
        'ack-in-helper/consumer.ts': RELATED_ACK_IN_HELPER,
        'ack-in-helper/messaging/acknowledge.ts': RELATED_SETTLE_HELPER,
      });
      const result = project.analyze(files);
      assert.deepEqual(result.problems, []);
      findings = findingsOf(result, 'ack-before-process');
    });

    after(() => project?.remove());

    const only = (folder: string): Finding => {
      const inFolder = findings.filter((finding) => finding.location.filePath.includes(`/${folder}/`));
      assert.equal(inFolder.length, 1, `expected one finding in ${folder}, got ${inFolder.length}`);
      return inFolder[0];
    };

    test('ack then a service call: the finding is on the ack, related points at each effect in the service and at the call', () => {
      const finding = only('ack-then-service');
      assert.equal(finding.location.line, firstLineOf(RELATED_ACK_THEN_SERVICE, 'channel.ack(msg)'));
      assert.ok(finding.location.filePath.endsWith('/ack-then-service/consumer.ts'));
      assert.ok(
        relatedAt(
          finding,
          '/ack-then-service/services/ledger.ts',
          firstLineOf(RELATED_LEDGER_SERVICE, 'UPDATE accounts'),
        ),
        describeRelated(finding),
      );
      assert.ok(
        relatedAt(
          finding,
          '/ack-then-service/services/ledger.ts',
          firstLineOf(RELATED_LEDGER_SERVICE, 'INSERT INTO ledger_entries') - 1,
        ),
        describeRelated(finding),
      );
      assert.ok(
        relatedAt(
          finding,
          '/ack-then-service/consumer.ts',
          firstLineOf(RELATED_ACK_THEN_SERVICE, 'await ledger.credit('),
        ),
        describeRelated(finding),
      );
      assert.match(finding.message, /via LedgerService\.credit\(\)/);
    });

    test('ack then a service call: related includes the consumer registration (every finding names its registration)', () => {
      const finding = only('ack-then-service');
      assert.ok(
        relatedAt(
          finding,
          '/ack-then-service/consumer.ts',
          firstLineOf(RELATED_ACK_THEN_SERVICE, "channel.consume('payments.settled'"),
        ),
        describeRelated(finding),
      );
    });

    test('dropped service call: the finding is on the call in the handler, related points at the effect inside the service', () => {
      const finding = only('dropped-service');
      assert.equal(finding.location.line, firstLineOf(RELATED_DROPPED_SERVICE, 'void ledger.credit('));
      assert.ok(finding.location.filePath.endsWith('/dropped-service/consumer.ts'));
      assert.ok(
        relatedAt(
          finding,
          '/dropped-service/services/ledger.ts',
          firstLineOf(RELATED_LEDGER_SERVICE, 'UPDATE accounts'),
        ),
        describeRelated(finding),
      );
      assert.ok(
        relatedAt(finding, '/dropped-service/consumer.ts', firstLineOf(RELATED_DROPPED_SERVICE, 'void ledger.credit(')),
        describeRelated(finding),
      );
    });

    test('dropped service call: related includes the consumer registration (every finding names its registration)', () => {
      const finding = only('dropped-service');
      assert.ok(
        relatedAt(finding, '/dropped-service/consumer.ts', firstLineOf(RELATED_DROPPED_SERVICE, 'Consumer.create(')),
        describeRelated(finding),
      );
    });

    test('ack inside a helper: the finding is on the helper call in the handler, related points at the ack inside the helper', () => {
      const finding = only('ack-in-helper');
      assert.equal(finding.location.line, firstLineOf(RELATED_ACK_IN_HELPER, 'acknowledge(channel, msg)'));
      assert.ok(finding.location.filePath.endsWith('/ack-in-helper/consumer.ts'));
      assert.match(finding.message, /INSERT INTO refunds/);
      assert.ok(
        relatedAt(finding, '/ack-in-helper/consumer.ts', firstLineOf(RELATED_ACK_IN_HELPER, 'INSERT INTO refunds')),
        describeRelated(finding),
      );
      assert.ok(
        relatedAt(
          finding,
          '/ack-in-helper/messaging/acknowledge.ts',
          firstLineOf(RELATED_SETTLE_HELPER, 'channel.ack(msg)'),
        ),
        describeRelated(finding),
      );
    });
  });
}
