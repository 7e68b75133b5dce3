/**
 * The effect classifier (docs/model.md, "Effects": the default classifications, keys made fresh,
 * dedup keys derived from the message), observed
 * through the `effects` list of the consumer whose handler makes the call.
 *
 * Each case is a small kafkajs handler (`evt` is the parsed message) with one call of interest;
 * the test finds the effect recorded on that call's line and checks its class and keyedByMessage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, EffectClass } from '../../server/src/model';
import { MODES, TestProject } from '../helpers/project';

interface EffectCase {
  name: string;
  /** Imports and clients, at the top of the file. */
  setup: string;
  /** Statements of the handler, after `const evt = JSON.parse(...)`. */
  body: string;
  /** Text on the line of the call of interest. */
  at: string;
  /**
   * The expected class, keyedByMessage and (when given) whether it is processing. `unknown` means
   * no effect is recorded for the call; `not-unsafe` means either nothing is recorded or something
   * other than duplicate-unsafe.
   */
  expect:
    | { class: Exclude<EffectClass, 'unknown' | 'ack' | 'dedup-check'>; keyed?: boolean; processing?: boolean }
    | 'unknown'
    | 'not-unsafe';
}

function fileOf(c: EffectCase): string {
  const body = c.body
    .trim()
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n');
  return `import { Kafka } from 'kafkajs';
${c.setup.trim()}

const consumer = new Kafka({ clientId: 'effects', brokers: ['kafka:9092'] }).consumer({ groupId: 'effects' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'domain.events' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const evt = JSON.parse(message.value!.toString());
${body}
    },
  });
}
`;
}

const unsafe = { class: 'duplicate-unsafe', keyed: false } as const;
const idempotent = { class: 'idempotent' } as const;
const keyedIdempotent = { class: 'idempotent', keyed: true } as const;
const read = { class: 'read' } as const;
const record = { class: 'dedup-record', keyed: true } as const;

const PG = `import { Pool } from 'pg';
const pool = new Pool();`;
const PRISMA = `import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();`;
const REDIS = `import Redis from 'ioredis';
const redis = new Redis();`;
const MONGO = `import { MongoClient } from 'mongodb';
const db = new MongoClient(process.env.MONGO_URL ?? 'mongodb://localhost').db('shop');
const orders = db.collection('orders');
const accounts = db.collection('accounts');`;
const MONGOOSE = `import { Schema, model } from 'mongoose';
const Order = model('Order', new Schema({ orderId: String, total: Number }));`;
const DYNAMO = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));`;
const FIRESTORE = `import { Firestore, FieldValue } from '@google-cloud/firestore';
const firestore = new Firestore();`;
const STRIPE = `import Stripe from 'stripe';
import { randomUUID } from 'node:crypto';
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');`;
const SQS = `import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
const sqs = new SQSClient({ region: 'eu-west-1' });`;
const BULL = `import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
const emailQueue = new Queue('emails', { connection: { host: 'redis' } });`;
const TYPEORM = `import { DataSource, Entity, PrimaryColumn, Column } from 'typeorm';
@Entity()
class Order {
  @PrimaryColumn() id!: string;
  @Column() total!: number;
}
const dataSource = new DataSource({ type: 'postgres', entities: [Order] });
const orderRepository = dataSource.getRepository(Order);`;
const SEQUELIZE = `import { DataTypes, Model, Sequelize } from 'sequelize';
const sequelize = new Sequelize(process.env.DATABASE_URL ?? 'postgres://localhost/shop');
class Order extends Model {}
Order.init({ total: DataTypes.INTEGER }, { sequelize });`;
const KNEX = `import Knex from 'knex';
const knex = Knex({ client: 'pg', connection: process.env.DATABASE_URL });`;
const DRIZZLE = `import { drizzle } from 'drizzle-orm/node-postgres';
import { integer, pgTable, text } from 'drizzle-orm/pg-core';
import { Pool } from 'pg';
const orders = pgTable('orders', { id: text('id').primaryKey(), total: integer('total') });
const db = drizzle(new Pool());`;
const ELASTIC = `import { Client } from '@elastic/elasticsearch';
import { randomUUID } from 'node:crypto';
const es = new Client({ node: 'http://elastic:9200' });`;
const AXIOS = `import axios from 'axios';`;
const GOT = `import got from 'got';`;
/**
 * A project's HTTP client: the public methods name the verb, and the one `fetch` reads it from
 * the options each layer passes down (spread into a new object, then read as `options.method`).
 */
const REQUEST_WRAPPER = `interface RequestOptions { method: string; path: string; body?: unknown }
class ErpClient {
  post(path: string, body: unknown) {
    return this.request({ method: 'POST', path, body });
  }
  get(path: string) {
    return this.request({ method: 'GET', path });
  }
  call(method: string, path: string, body: unknown) {
    return this.request({ method, path, body });
  }
  private async request(options: RequestOptions) {
    const withHeaders = { ...options, headers: { 'content-type': 'application/json' } };
    return this.send(withHeaders);
  }
  private async send(options: RequestOptions & { headers: Record<string, string> }) {
    const init = { method: options.method, headers: options.headers, body: JSON.stringify(options.body) };
    return fetch(\`https://erp.internal\${options.path}\`, init);
  }
}
const erp = new ErpClient();`;
const RANDOM = `import { randomUUID } from 'node:crypto';`;

const cases: EffectCase[] = [
  // ---- Google Cloud client libraries -----------------------------------------------------------
  {
    name: 'Cloud Run runJob: starts another run of the job',
    setup: `import { JobsClient } from '@google-cloud/run';
const jobsClient = new JobsClient();`,
    body: `await jobsClient.runJob({ name: 'projects/p/locations/l/jobs/render', overrides: { containerOverrides: [{ env: [{ name: 'ID', value: evt.id }] }] } });`,
    at: 'runJob(',
    expect: unsafe,
  },
  {
    name: 'Cloud Tasks createTask with a task name from the message: the queue refuses a second',
    setup: `import { CloudTasksClient } from '@google-cloud/tasks';
const tasks = new CloudTasksClient();`,
    body: `await tasks.createTask({ parent: 'projects/p/locations/l/queues/q', task: { name: \`projects/p/locations/l/queues/q/tasks/\${evt.id}\`, httpRequest: { url: 'https://hooks.example.com' } } });`,
    at: 'createTask(',
    expect: keyedIdempotent,
  },
  {
    name: 'Cloud Tasks createTask without a name: one more task per delivery',
    setup: `import { CloudTasksClient } from '@google-cloud/tasks';
const tasks = new CloudTasksClient();`,
    body: `await tasks.createTask({ parent: 'projects/p/locations/l/queues/q', task: { httpRequest: { url: 'https://hooks.example.com' } } });`,
    at: 'createTask(',
    expect: unsafe,
  },
  {
    name: 'Cloud Storage file save: the object put again under its name',
    setup: `import { Storage } from '@google-cloud/storage';
const storage = new Storage();`,
    body: `await storage.bucket('requests').file(\`\${evt.id}.json\`).save(JSON.stringify(evt));`,
    at: '.save(',
    expect: idempotent,
  },
  // ---- SQL by statement text -------------------------------------------------------------------
  {
    name: 'SQL INSERT without a conflict clause',
    setup: PG,
    body: `await pool.query('INSERT INTO orders (customer_id, total) VALUES ($1, $2)', [evt.customerId, evt.total]);`,
    at: 'INSERT INTO orders',
    expect: unsafe,
  },
  {
    name: 'SQL INSERT … ON CONFLICT DO NOTHING',
    setup: PG,
    body: `await pool.query('INSERT INTO orders (external_id, total) VALUES ($1, $2) ON CONFLICT (external_id) DO NOTHING', [evt.orderId, evt.total]);`,
    at: 'INSERT INTO orders',
    expect: idempotent,
  },
  {
    name: 'SQL upsert ON CONFLICT DO UPDATE',
    setup: PG,
    body: `await pool.query('INSERT INTO customers (id, email) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email', [evt.customerId, evt.email]);`,
    at: 'INSERT INTO customers',
    expect: idempotent,
  },
  {
    name: 'MySQL INSERT … ON DUPLICATE KEY UPDATE through mysql2 execute',
    setup: `import mysql from 'mysql2/promise';
const conn = mysql.createPool({ uri: process.env.MYSQL_URL });`,
    body: `await conn.execute('INSERT INTO stock (sku, qty) VALUES (?, ?) ON DUPLICATE KEY UPDATE qty = VALUES(qty)', [evt.sku, evt.qty]);`,
    at: 'INSERT INTO stock',
    expect: idempotent,
  },
  {
    name: 'MySQL INSERT without a conflict clause through mysql2 execute',
    setup: `import mysql from 'mysql2/promise';
const conn = mysql.createPool({ uri: process.env.MYSQL_URL });`,
    body: `await conn.execute('INSERT INTO order_lines (order_id, sku) VALUES (?, ?)', [evt.orderId, evt.sku]);`,
    at: 'INSERT INTO order_lines',
    expect: unsafe,
  },
  {
    name: 'SQL through prepare(...).run (better-sqlite3)',
    setup: `import Database from 'better-sqlite3';
const sqlite = new Database('events.db');`,
    body: `sqlite.prepare('INSERT INTO events (kind, payload) VALUES (?, ?)').run(evt.kind, JSON.stringify(evt));`,
    at: 'INSERT INTO events',
    expect: unsafe,
  },
  {
    name: 'SQL relative update SET x = x + ?',
    setup: PG,
    body: `await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [evt.amount, evt.accountId]);`,
    at: 'UPDATE accounts',
    expect: unsafe,
  },
  {
    name: 'SQL absolute update SET x = ?',
    setup: PG,
    body: `await pool.query('UPDATE orders SET status = $1 WHERE id = $2', ['paid', evt.orderId]);`,
    at: 'UPDATE orders',
    expect: idempotent,
  },
  {
    name: 'SQL DELETE',
    setup: PG,
    body: `await pool.query('DELETE FROM carts WHERE customer_id = $1', [evt.customerId]);`,
    at: 'DELETE FROM carts',
    expect: idempotent,
  },
  {
    name: 'SQL SELECT is a read',
    setup: PG,
    body: `const { rows } = await pool.query('SELECT * FROM orders WHERE id = $1', [evt.orderId]);\nconsole.log(rows.length);`,
    at: 'SELECT * FROM orders',
    expect: read,
  },
  {
    name: 'SQL INSERT of a new generated id (key made fresh)',
    setup: `${PG}\n${RANDOM}`,
    body: `await pool.query('INSERT INTO payments (id, amount) VALUES ($1, $2)', [randomUUID(), evt.amount]);`,
    at: 'INSERT INTO payments',
    expect: unsafe,
  },
  {
    name: 'SQL INSERT whose primary key is the message event id (a duplicate fails)',
    setup: PG,
    body: `await pool.query('INSERT INTO payments (id, amount) VALUES ($1, $2)', [evt.eventId, evt.amount]);`,
    at: 'INSERT INTO payments',
    expect: keyedIdempotent,
  },
  {
    name: 'SQL INSERT of the event id into processed_events is a dedup record',
    setup: PG,
    body: `await pool.query('INSERT INTO processed_events (event_id) VALUES ($1)', [evt.eventId]);`,
    at: 'INSERT INTO processed_events',
    expect: record,
  },
  {
    name: 'sql tagged template INSERT',
    setup: `import postgres from 'postgres';
const sql = postgres(process.env.DATABASE_URL ?? '');`,
    body: 'await sql`INSERT INTO shipments (order_id, carrier) VALUES (${evt.orderId}, ${evt.carrier})`;',
    at: 'INSERT INTO shipments',
    expect: unsafe,
  },

  // ---- ORMs ------------------------------------------------------------------------------------
  {
    name: 'Prisma create',
    setup: PRISMA,
    body: `await prisma.order.create({ data: { customerId: evt.customerId, total: evt.total } });`,
    at: 'prisma.order.create',
    expect: unsafe,
  },
  {
    name: 'Prisma createMany',
    setup: PRISMA,
    body: `await prisma.orderLine.createMany({ data: evt.lines });`,
    at: 'prisma.orderLine.createMany',
    expect: unsafe,
  },
  {
    name: 'Prisma create keyed by the message id',
    setup: PRISMA,
    body: `await prisma.order.create({ data: { id: evt.orderId, total: evt.total } });`,
    at: 'prisma.order.create',
    expect: keyedIdempotent,
  },
  {
    name: 'Prisma update with { increment }',
    setup: PRISMA,
    body: `await prisma.account.update({ where: { id: evt.accountId }, data: { balance: { increment: evt.amount } } });`,
    at: 'prisma.account.update',
    expect: unsafe,
  },
  {
    name: 'Prisma absolute update',
    setup: PRISMA,
    body: `await prisma.order.update({ where: { id: evt.orderId }, data: { status: 'SHIPPED' } });`,
    at: 'prisma.order.update',
    expect: idempotent,
  },
  {
    name: 'Prisma upsert',
    setup: PRISMA,
    body: `await prisma.customer.upsert({ where: { id: evt.customerId }, create: { id: evt.customerId, email: evt.email }, update: { email: evt.email } });`,
    at: 'prisma.customer.upsert',
    expect: idempotent,
  },
  {
    name: 'Prisma delete',
    setup: PRISMA,
    body: `await prisma.cart.delete({ where: { customerId: evt.customerId } });`,
    at: 'prisma.cart.delete',
    expect: idempotent,
  },
  {
    name: 'Prisma findUnique is a read',
    setup: PRISMA,
    body: `const order = await prisma.order.findUnique({ where: { id: evt.orderId } });\nconsole.log(order);`,
    at: 'prisma.order.findUnique',
    expect: read,
  },
  {
    name: 'Prisma create into processedEvent is a dedup record',
    setup: PRISMA,
    body: `await prisma.processedEvent.create({ data: { eventId: evt.eventId } });`,
    at: 'prisma.processedEvent.create',
    expect: record,
  },
  {
    name: 'TypeORM insert',
    setup: TYPEORM,
    body: `await orderRepository.insert({ total: evt.total });`,
    at: 'orderRepository.insert',
    expect: unsafe,
  },
  {
    name: 'TypeORM save of a new entity without a key from the message',
    setup: TYPEORM,
    body: `await orderRepository.save({ total: evt.total });`,
    at: 'orderRepository.save',
    expect: unsafe,
  },
  {
    name: 'TypeORM save with the primary key from the message',
    setup: TYPEORM,
    body: `await orderRepository.save({ id: evt.orderId, total: evt.total });`,
    at: 'orderRepository.save',
    expect: keyedIdempotent,
  },
  {
    name: 'Sequelize create',
    setup: SEQUELIZE,
    body: `await Order.create({ total: evt.total });`,
    at: 'Order.create',
    expect: unsafe,
  },
  {
    name: 'Sequelize instance set({ … }).save() of a loaded row, fields from the message: an absolute update',
    setup: SEQUELIZE,
    body: `const order = await Order.findByPk(evt.orderId);
if (!order) return;
await order.set({ total: evt.total }).save();`,
    at: '.save()',
    expect: idempotent,
  },
  {
    name: 'Sequelize instance set({ … }).save() from its own old value: a read-modify-write',
    setup: SEQUELIZE,
    body: `const order = await Order.findByPk(evt.orderId);
if (!order) return;
await order.set({ total: order.total + evt.total }).save();`,
    at: '.save()',
    expect: unsafe,
  },
  {
    name: 'Sequelize bulkCreate',
    setup: SEQUELIZE,
    body: `await Order.bulkCreate(evt.orders);`,
    at: 'Order.bulkCreate',
    expect: unsafe,
  },
  {
    name: 'Sequelize bulkCreate with ignoreDuplicates',
    setup: SEQUELIZE,
    body: `await Order.bulkCreate(evt.orders, { ignoreDuplicates: true });`,
    at: 'Order.bulkCreate',
    expect: idempotent,
  },
  {
    name: 'knex insert without onConflict',
    setup: KNEX,
    body: `await knex('orders').insert({ customer_id: evt.customerId, total: evt.total });`,
    at: "knex('orders').insert",
    expect: unsafe,
  },
  {
    name: 'knex insert … onConflict().ignore()',
    setup: KNEX,
    body: `await knex('orders').insert({ external_id: evt.orderId, total: evt.total }).onConflict('external_id').ignore();`,
    at: "knex('orders').insert",
    expect: idempotent,
  },
  {
    name: 'knex insert … onConflict().merge()',
    setup: KNEX,
    body: `await knex('customers').insert({ email: evt.email, name: evt.name }).onConflict('email').merge();`,
    at: "knex('customers').insert",
    expect: idempotent,
  },
  {
    name: 'knex increment',
    setup: KNEX,
    body: `await knex('accounts').where({ id: evt.accountId }).increment('balance', evt.amount);`,
    at: "knex('accounts')",
    expect: unsafe,
  },
  {
    name: 'Drizzle insert().values() without onConflict',
    setup: DRIZZLE,
    body: `await db.insert(orders).values({ id: \`o-\${Date.now()}\`, total: evt.total });`,
    at: 'db.insert(orders)',
    expect: unsafe,
  },
  {
    name: 'Drizzle insert().values().onConflictDoNothing()',
    setup: DRIZZLE,
    body: `await db.insert(orders).values({ id: evt.orderId, total: evt.total }).onConflictDoNothing();`,
    at: 'db.insert(orders)',
    expect: idempotent,
  },

  // ---- MongoDB / Mongoose -----------------------------------------------------------------------
  {
    name: 'MongoDB insertOne',
    setup: MONGO,
    body: `await orders.insertOne({ customerId: evt.customerId, total: evt.total });`,
    at: 'orders.insertOne',
    expect: unsafe,
  },
  {
    name: 'MongoDB insertMany',
    setup: MONGO,
    body: `await orders.insertMany(evt.orders);`,
    at: 'orders.insertMany',
    expect: unsafe,
  },
  {
    name: 'MongoDB insertOne with _id made fresh',
    setup: `${MONGO}\n${RANDOM}`,
    body: `await orders.insertOne({ _id: randomUUID() as any, total: evt.total });`,
    at: 'orders.insertOne',
    expect: unsafe,
  },
  {
    name: 'MongoDB insertOne with _id from the message',
    setup: MONGO,
    body: `await orders.insertOne({ _id: evt.orderId, total: evt.total });`,
    at: 'orders.insertOne',
    expect: keyedIdempotent,
  },
  {
    name: 'MongoDB updateOne with $inc',
    setup: MONGO,
    body: `await accounts.updateOne({ _id: evt.accountId }, { $inc: { balance: evt.amount } });`,
    at: 'accounts.updateOne',
    expect: unsafe,
  },
  {
    name: 'MongoDB updateOne with $push',
    setup: MONGO,
    body: `await accounts.updateOne({ _id: evt.accountId }, { $push: { history: evt.entry } });`,
    at: 'accounts.updateOne',
    expect: unsafe,
  },
  {
    name: 'MongoDB updateOne with $set',
    setup: MONGO,
    body: `await accounts.updateOne({ _id: evt.accountId }, { $set: { tier: evt.tier } });`,
    at: 'accounts.updateOne',
    expect: idempotent,
  },
  {
    name: 'MongoDB deleteOne',
    setup: MONGO,
    body: `await orders.deleteOne({ _id: evt.orderId });`,
    at: 'orders.deleteOne',
    expect: idempotent,
  },
  {
    name: 'Mongoose Model.create',
    setup: MONGOOSE,
    body: `await Order.create({ total: evt.total });`,
    at: 'Order.create',
    expect: unsafe,
  },
  {
    name: 'Mongoose Model.insertMany',
    setup: MONGOOSE,
    body: `await Order.insertMany(evt.orders);`,
    at: 'Order.insertMany',
    expect: unsafe,
  },
  {
    name: 'Mongoose new Model(...).save()',
    setup: MONGOOSE,
    body: `await new Order({ total: evt.total }).save();`,
    at: 'new Order(',
    expect: unsafe,
  },

  // ---- Redis --------------------------------------------------------------------------------------
  ...(['incr', 'incrby', 'hincrby', 'lpush', 'rpush', 'xadd', 'zincrby'] as const).map((method): EffectCase => ({
    name: `Redis ${method}`,
    setup: REDIS,
    body: {
      incr: `await redis.incr(\`orders:count:\${evt.customerId}\`);`,
      incrby: `await redis.incrby(\`revenue:\${evt.day}\`, evt.total);`,
      hincrby: `await redis.hincrby(\`customer:\${evt.customerId}\`, 'orders', 1);`,
      lpush: `await redis.lpush('recent-orders', evt.orderId);`,
      rpush: `await redis.rpush(\`timeline:\${evt.customerId}\`, JSON.stringify(evt));`,
      xadd: `await redis.xadd('order-stream', '*', 'order', evt.orderId);`,
      zincrby: `await redis.zincrby('top-products', 1, evt.sku);`,
    }[method],
    at: `redis.${method}(`,
    expect: unsafe,
  })),
  {
    name: 'Redis publish',
    setup: REDIS,
    body: `await redis.publish('order-events', JSON.stringify(evt));`,
    at: 'redis.publish',
    expect: { class: 'duplicate-unsafe', keyed: false },
  },
  {
    name: 'Redis set of a value',
    setup: REDIS,
    body: `await redis.set(\`customer:\${evt.customerId}:tier\`, evt.tier);`,
    at: 'redis.set',
    expect: { ...idempotent, processing: true },
  },
  {
    name: 'Redis set through a client named a cache: a cache fill, not processing',
    setup: `import Redis from 'ioredis';
const quoteCache = new Redis();`,
    body: `await quoteCache.set(\`quote:\${evt.symbol}\`, JSON.stringify(evt.quote), 'EX', 60);`,
    at: 'quoteCache.set',
    expect: { ...idempotent, processing: false },
  },
  {
    name: 'Redis set of a processed marker through a cache client is still the dedup record',
    setup: `import Redis from 'ioredis';
const cache = new Redis();`,
    body: `await cache.set(\`processed:\${message.offset}\`, '1');`,
    at: 'cache.set',
    expect: record,
  },
  {
    name: 'Redis hset',
    setup: REDIS,
    body: `await redis.hset(\`customer:\${evt.customerId}\`, 'email', evt.email);`,
    at: 'redis.hset',
    expect: idempotent,
  },
  {
    name: 'Redis sadd of a business member',
    setup: REDIS,
    body: `await redis.sadd('active-customers', evt.customerId);`,
    at: 'redis.sadd',
    expect: idempotent,
  },
  {
    name: 'Redis del',
    setup: REDIS,
    body: `await redis.del(\`cart:\${evt.customerId}\`);`,
    at: 'redis.del',
    expect: idempotent,
  },
  {
    name: 'Redis get is a read',
    setup: REDIS,
    body: `const tier = await redis.get(\`customer:\${evt.customerId}:tier\`);\nconsole.log(tier);`,
    at: 'redis.get',
    expect: read,
  },
  {
    name: 'Redis set of a processed marker is a dedup record',
    setup: REDIS,
    body: `await redis.set(\`processed:\${topic}:\${partition}:\${message.offset}\`, '1', 'EX', 86400);`,
    at: 'redis.set',
    expect: record,
  },
  {
    name: 'Redis sadd of the event id into a processed set is a dedup record',
    setup: REDIS,
    body: `await redis.sadd('processed-events', evt.eventId);`,
    at: 'redis.sadd',
    expect: record,
  },

  // ---- DynamoDB -----------------------------------------------------------------------------------
  {
    name: 'DynamoDB UpdateCommand with ADD',
    setup: DYNAMO,
    body: `await ddb.send(new UpdateCommand({ TableName: 'accounts', Key: { pk: evt.accountId }, UpdateExpression: 'ADD balance :amount', ExpressionAttributeValues: { ':amount': evt.amount } }));`,
    at: 'ddb.send',
    expect: unsafe,
  },
  {
    name: 'DynamoDB UpdateCommand with SET x = x + :v',
    setup: DYNAMO,
    body: `await ddb.send(new UpdateCommand({ TableName: 'stats', Key: { pk: evt.page }, UpdateExpression: 'SET visits = visits + :one', ExpressionAttributeValues: { ':one': 1 } }));`,
    at: 'ddb.send',
    expect: unsafe,
  },
  {
    name: 'DynamoDB UpdateCommand with an absolute SET',
    setup: DYNAMO,
    body: `await ddb.send(new UpdateCommand({ TableName: 'orders', Key: { pk: evt.orderId }, UpdateExpression: 'SET #s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'paid' } }));`,
    at: 'ddb.send',
    expect: idempotent,
  },
  {
    name: 'DynamoDB PutCommand by a key from the message',
    setup: DYNAMO,
    body: `await ddb.send(new PutCommand({ TableName: 'orders', Item: { pk: evt.orderId, total: evt.total } }));`,
    at: 'ddb.send',
    expect: keyedIdempotent,
  },
  {
    name: 'DynamoDB PutCommand with attribute_not_exists',
    setup: DYNAMO,
    body: `await ddb.send(new PutCommand({ TableName: 'orders', Item: { pk: evt.orderId, total: evt.total }, ConditionExpression: 'attribute_not_exists(pk)' }));`,
    at: 'ddb.send',
    expect: keyedIdempotent,
  },
  {
    name: 'DynamoDB PutCommand under a randomUUID() key (key made fresh)',
    setup: DYNAMO,
    body: `await ddb.send(new PutCommand({ TableName: 'audit', Item: { pk: randomUUID(), order: evt.orderId } }));`,
    at: 'ddb.send',
    expect: unsafe,
  },
  {
    name: 'DynamoDB GetCommand is a read',
    setup: DYNAMO,
    body: `const found = await ddb.send(new GetCommand({ TableName: 'orders', Key: { pk: evt.orderId } }));\nconsole.log(found.Item);`,
    at: 'ddb.send',
    expect: read,
  },

  // ---- Firestore ----------------------------------------------------------------------------------
  {
    name: 'Firestore FieldValue.increment',
    setup: FIRESTORE,
    body: `await firestore.collection('counters').doc(evt.page).update({ views: FieldValue.increment(1) });`,
    at: 'FieldValue.increment',
    expect: unsafe,
  },
  {
    name: 'Firestore arrayUnion',
    setup: FIRESTORE,
    body: `await firestore.collection('customers').doc(evt.customerId).update({ tags: FieldValue.arrayUnion(evt.tag) });`,
    at: 'FieldValue.arrayUnion',
    expect: idempotent,
  },
  {
    name: 'Firestore collection.add() (new document id)',
    setup: FIRESTORE,
    body: `await firestore.collection('order-events').add({ orderId: evt.orderId, at: evt.at });`,
    at: '.add({',
    expect: unsafe,
  },
  {
    name: 'Firestore doc() without a path, then set',
    setup: FIRESTORE,
    body: `await firestore.collection('audit').doc().set({ orderId: evt.orderId });`,
    at: '.doc().set',
    expect: unsafe,
  },
  {
    name: 'Firestore doc(id).set',
    setup: FIRESTORE,
    body: `await firestore.collection('orders').doc(evt.orderId).set({ total: evt.total });`,
    at: 'doc(evt.orderId).set',
    expect: idempotent,
  },

  // ---- HTTP ---------------------------------------------------------------------------------------
  {
    name: 'fetch POST',
    setup: '',
    body: `await fetch('https://erp.internal/api/orders', { method: 'POST', body: JSON.stringify(evt) });`,
    at: "fetch('https://erp.internal",
    expect: unsafe,
  },
  {
    name: 'fetch PATCH',
    setup: '',
    body: `await fetch(\`https://erp.internal/api/orders/\${evt.orderId}\`, { method: 'PATCH', body: JSON.stringify({ paid: true }) });`,
    at: 'fetch(',
    expect: unsafe,
  },
  {
    name: 'fetch PUT',
    setup: '',
    body: `await fetch(\`https://erp.internal/api/orders/\${evt.orderId}\`, { method: 'PUT', body: JSON.stringify(evt) });`,
    at: 'fetch(',
    expect: idempotent,
  },
  {
    name: 'fetch DELETE',
    setup: '',
    body: `await fetch(\`https://erp.internal/api/carts/\${evt.customerId}\`, { method: 'DELETE' });`,
    at: 'fetch(',
    expect: idempotent,
  },
  {
    name: 'fetch GET is a read',
    setup: '',
    body: `const response = await fetch(\`https://erp.internal/api/orders/\${evt.orderId}\`);\nconsole.log(response.status);`,
    at: 'fetch(',
    expect: read,
  },
  {
    name: 'fetch POST with an Idempotency-Key header from the message',
    setup: '',
    body: `await fetch('https://payments.internal/v1/payouts', { method: 'POST', headers: { 'Idempotency-Key': evt.eventId }, body: JSON.stringify(evt) });`,
    at: 'fetch(',
    expect: keyedIdempotent,
  },
  {
    name: 'a request wrapper: the method its caller passes decides (POST)',
    setup: REQUEST_WRAPPER,
    body: `await erp.post('/api/orders', evt);`,
    at: 'return fetch(',
    expect: unsafe,
  },
  {
    name: 'a request wrapper: the method its caller passes decides (GET)',
    setup: REQUEST_WRAPPER,
    body: `const order = await erp.get(\`/api/orders/\${evt.orderId}\`);\nconsole.log(order);`,
    at: 'return fetch(',
    expect: read,
  },
  {
    name: 'a request wrapper whose caller passes a method that is not known records nothing',
    setup: REQUEST_WRAPPER,
    body: `await erp.call(evt.verb, '/api/orders', evt);`,
    at: 'return fetch(',
    expect: 'unknown',
  },
  {
    name: 'undici request(url, options) reads the method from the options',
    setup: `import { request } from 'undici';`,
    body: `await request('https://erp.internal/api/orders', { method: 'POST', body: JSON.stringify(evt) });`,
    at: 'await request(',
    expect: unsafe,
  },
  {
    name: 'axios.post',
    setup: AXIOS,
    body: `await axios.post('https://crm.internal/api/notes', { customer: evt.customerId, text: 'ordered' });`,
    at: 'axios.post',
    expect: unsafe,
  },
  {
    name: 'axios.patch',
    setup: AXIOS,
    body: `await axios.patch(\`https://crm.internal/api/customers/\${evt.customerId}\`, { lastOrder: evt.orderId });`,
    at: 'axios.patch',
    expect: unsafe,
  },
  {
    name: 'axios.put',
    setup: AXIOS,
    body: `await axios.put(\`https://crm.internal/api/customers/\${evt.customerId}\`, { tier: evt.tier });`,
    at: 'axios.put',
    expect: idempotent,
  },
  {
    name: 'axios.delete',
    setup: AXIOS,
    body: `await axios.delete(\`https://crm.internal/api/holds/\${evt.holdId}\`);`,
    at: 'axios.delete',
    expect: idempotent,
  },
  {
    name: 'axios.get is a read',
    setup: AXIOS,
    body: `const { data } = await axios.get(\`https://crm.internal/api/customers/\${evt.customerId}\`);\nconsole.log(data);`,
    at: 'axios.get',
    expect: read,
  },
  {
    name: 'got.post',
    setup: GOT,
    body: `await got.post('https://hooks.internal/order-created', { json: evt });`,
    at: 'got.post',
    expect: unsafe,
  },

  // ---- email, SMS, push ----------------------------------------------------------------------------
  {
    name: 'nodemailer sendMail',
    setup: `import nodemailer from 'nodemailer';
const transporter = nodemailer.createTransport({ host: 'smtp.internal', port: 587 });`,
    body: `await transporter.sendMail({ from: 'shop@example.com', to: evt.email, subject: 'Order received', text: evt.orderId });`,
    at: 'transporter.sendMail',
    expect: unsafe,
  },
  {
    name: 'SES SendEmailCommand',
    setup: `import { SESClient, SendEmailCommand } from '@aws-sdk/client-ses';
const ses = new SESClient({ region: 'eu-west-1' });`,
    body: `await ses.send(new SendEmailCommand({ Source: 'shop@example.com', Destination: { ToAddresses: [evt.email] }, Message: { Subject: { Data: 'Receipt' }, Body: { Text: { Data: evt.orderId } } } }));`,
    at: 'ses.send',
    expect: unsafe,
  },
  {
    name: 'SendGrid send',
    setup: `import sgMail from '@sendgrid/mail';
sgMail.setApiKey(process.env.SENDGRID_API_KEY ?? '');`,
    body: `await sgMail.send({ to: evt.email, from: 'shop@example.com', subject: 'Shipped', text: evt.trackingCode });`,
    at: 'sgMail.send',
    expect: unsafe,
  },
  {
    name: 'Twilio messages.create',
    setup: `import twilio from 'twilio';
const sms = twilio(process.env.TWILIO_SID, process.env.TWILIO_TOKEN);`,
    body: `await sms.messages.create({ to: evt.phone, from: '+15005550006', body: \`Your code: \${evt.code}\` });`,
    at: 'sms.messages.create',
    expect: unsafe,
  },
  {
    name: 'FCM send',
    setup: `import { getMessaging } from 'firebase-admin/messaging';`,
    body: `await getMessaging().send({ token: evt.deviceToken, notification: { title: 'Order shipped', body: evt.orderId } });`,
    at: 'getMessaging().send',
    expect: unsafe,
  },
  {
    name: 'worker_threads postMessage: a thread of this process, not a notification',
    setup: `import { Worker } from 'node:worker_threads';
const tokenizer = new Worker('./tokenizer.js');`,
    body: `tokenizer.postMessage({ text: evt.body });`,
    at: 'tokenizer.postMessage',
    expect: 'unknown',
  },
  {
    name: 'cluster worker send: a process of this machine, not a notification',
    setup: `import cluster from 'cluster';`,
    body: `for (const worker of Object.values(cluster.workers ?? {})) worker?.send({ reload: evt.id });`,
    at: 'worker?.send',
    expect: 'unknown',
  },

  // ---- payments -----------------------------------------------------------------------------------
  {
    name: 'Stripe charges.create without idempotencyKey',
    setup: STRIPE,
    body: `await stripe.charges.create({ amount: evt.amount, currency: 'eur', customer: evt.customerId });`,
    at: 'stripe.charges.create',
    expect: unsafe,
  },
  {
    name: 'Stripe paymentIntents.confirm without idempotencyKey',
    setup: STRIPE,
    body: `await stripe.paymentIntents.confirm(evt.paymentIntentId);`,
    at: 'stripe.paymentIntents.confirm',
    expect: unsafe,
  },
  {
    name: 'Stripe paymentIntents.capture without idempotencyKey',
    setup: STRIPE,
    body: `await stripe.paymentIntents.capture(evt.paymentIntentId);`,
    at: 'stripe.paymentIntents.capture',
    expect: unsafe,
  },
  {
    name: 'Stripe create with an idempotencyKey from the message',
    setup: STRIPE,
    body: `await stripe.paymentIntents.create({ amount: evt.amount, currency: 'eur' }, { idempotencyKey: \`pi-\${topic}-\${partition}-\${message.offset}\` });`,
    at: 'stripe.paymentIntents.create',
    expect: keyedIdempotent,
  },
  {
    name: 'Stripe create with an idempotencyKey made fresh',
    setup: STRIPE,
    body: `await stripe.refunds.create({ charge: evt.chargeId }, { idempotencyKey: randomUUID() });`,
    at: 'stripe.refunds.create',
    expect: unsafe,
  },
  {
    name: 'Stripe meterEvents.create with an identifier from the message',
    setup: STRIPE,
    body: `await stripe.billing.meterEvents.create({ event_name: 'api_calls', identifier: evt.eventId, payload: { stripe_customer_id: evt.customerId, value: String(evt.calls) } });`,
    at: 'stripe.billing.meterEvents.create',
    expect: keyedIdempotent,
  },
  {
    name: 'Stripe invoices.createPreview is not a create',
    setup: STRIPE,
    body: `const preview = await stripe.invoices.createPreview({ customer: evt.customerId });\nconsole.log(preview.total);`,
    at: 'stripe.invoices.createPreview',
    expect: 'not-unsafe',
  },

  // ---- publishing another message ------------------------------------------------------------------
  {
    name: 'Kafka producer.send',
    setup: `const producer = new Kafka({ clientId: 'relay', brokers: ['kafka:9092'] }).producer();`,
    body: `await producer.send({ topic: 'orders.enriched', messages: [{ key: evt.orderId, value: JSON.stringify(evt) }] });`,
    at: 'producer.send',
    expect: unsafe,
  },
  {
    name: 'amqplib channel.publish',
    setup: `import amqp from 'amqplib';
const channelPromise = amqp.connect('amqp://rabbit').then((connection) => connection.createChannel());`,
    body: `const channel = await channelPromise;\nchannel.publish('orders', 'order.created', Buffer.from(JSON.stringify(evt)), { persistent: true });`,
    at: 'channel.publish',
    expect: unsafe,
  },
  {
    name: 'amqplib channel.sendToQueue',
    setup: `import amqp from 'amqplib';
const channelPromise = amqp.connect('amqp://rabbit').then((connection) => connection.createChannel());`,
    body: `const channel = await channelPromise;\nchannel.sendToQueue('invoices', Buffer.from(JSON.stringify(evt)));`,
    at: 'channel.sendToQueue',
    expect: unsafe,
  },
  {
    name: 'SQS SendMessageCommand',
    setup: SQS,
    body: `await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/invoices', MessageBody: JSON.stringify(evt) }));`,
    at: 'sqs.send',
    expect: unsafe,
  },
  {
    name: 'SQS FIFO SendMessageCommand with MessageDeduplicationId from the message',
    setup: SQS,
    body: `await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ledger.fifo', MessageBody: JSON.stringify(evt), MessageGroupId: evt.accountId, MessageDeduplicationId: evt.eventId }));`,
    at: 'sqs.send',
    expect: keyedIdempotent,
  },
  {
    name: 'SQS FIFO SendMessageCommand with MessageDeduplicationId made fresh',
    setup: SQS,
    body: `await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ledger.fifo', MessageBody: JSON.stringify(evt), MessageGroupId: evt.accountId, MessageDeduplicationId: randomUUID() }));`,
    at: 'sqs.send',
    expect: unsafe,
  },
  {
    name: 'BullMQ queue.add without jobId',
    setup: BULL,
    body: `await emailQueue.add('receipt', { orderId: evt.orderId });`,
    at: 'emailQueue.add',
    expect: unsafe,
  },
  {
    name: 'BullMQ queue.add with jobId from the message',
    setup: BULL,
    body: `await emailQueue.add('receipt', { orderId: evt.orderId }, { jobId: \`receipt:\${evt.orderId}\` });`,
    at: 'emailQueue.add',
    expect: keyedIdempotent,
  },
  {
    name: 'BullMQ queue.add with jobId made fresh',
    setup: BULL,
    body: `await emailQueue.add('receipt', { orderId: evt.orderId }, { jobId: randomUUID() });`,
    at: 'emailQueue.add',
    expect: unsafe,
  },
  {
    name: 'Pub/Sub topic.publishMessage',
    setup: `import { PubSub } from '@google-cloud/pubsub';
const pubsub = new PubSub();`,
    body: `await pubsub.topic('order-events').publishMessage({ json: evt });`,
    at: 'publishMessage',
    expect: unsafe,
  },
  {
    name: 'NATS publish',
    setup: `import { connect, StringCodec } from 'nats';
const sc = StringCodec();
const natsConnection = connect({ servers: 'nats://nats:4222' });`,
    body: `const nc = await natsConnection;\nnc.publish('orders.created', sc.encode(JSON.stringify(evt)));`,
    at: 'nc.publish',
    expect: unsafe,
  },
  {
    name: 'NestJS ClientProxy.emit',
    setup: `import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { port: 4000 } });`,
    body: `await lastValueFrom(client.emit('order_created', evt));`,
    at: 'client.emit',
    expect: unsafe,
  },
  {
    name: 'NestJS ClientProxy.send',
    setup: `import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { port: 4000 } });`,
    body: `const reply = await firstValueFrom(client.send({ cmd: 'reserve_stock' }, { sku: evt.sku, qty: evt.qty }));\nconsole.log(reply);`,
    at: 'client.send',
    expect: unsafe,
  },

  // ---- files ---------------------------------------------------------------------------------------
  {
    name: 'fs appendFile',
    setup: `import { appendFile } from 'node:fs/promises';`,
    body: `await appendFile('/var/data/orders.ndjson', JSON.stringify(evt) + '\\n');`,
    at: 'appendFile(',
    expect: unsafe,
  },
  {
    name: 'fs.appendFileSync',
    setup: `import fs from 'node:fs';`,
    body: `fs.appendFileSync('/var/data/orders.csv', \`\${evt.orderId},\${evt.total}\\n\`);`,
    at: 'fs.appendFileSync',
    expect: unsafe,
  },
  {
    name: 'write stream in append mode',
    setup: `import fs from 'node:fs';`,
    body: `const out = fs.createWriteStream('/var/data/audit.log', { flags: 'a' });\nout.end(JSON.stringify(evt));`,
    at: 'fs.createWriteStream',
    expect: unsafe,
  },
  {
    name: 'fs writeFile (overwrite) is idempotent',
    setup: `import { writeFile } from 'node:fs/promises';`,
    body: `await writeFile(\`/var/data/orders/\${evt.orderId}.json\`, JSON.stringify(evt));`,
    at: 'writeFile(',
    expect: idempotent,
  },

  // ---- search index --------------------------------------------------------------------------------
  {
    name: 'Elasticsearch index with an id from the message',
    setup: ELASTIC,
    body: `await es.index({ index: 'orders', id: evt.orderId, document: evt });`,
    at: 'es.index',
    expect: keyedIdempotent,
  },
  {
    name: 'Elasticsearch index without an id',
    setup: ELASTIC,
    body: `await es.index({ index: 'order-events', document: evt });`,
    at: 'es.index',
    expect: unsafe,
  },
  {
    name: 'Elasticsearch index with an id made fresh',
    setup: ELASTIC,
    body: `await es.index({ index: 'order-events', id: randomUUID(), document: evt });`,
    at: 'es.index',
    expect: unsafe,
  },

  // ---- logging and things that are not effects ----------------------------------------------------
  {
    name: 'console logging is not duplicate-unsafe',
    setup: '',
    body: `console.info('order received', evt.orderId);`,
    at: 'console.info',
    expect: 'not-unsafe',
  },
  {
    name: 'an unknown package stays unknown',
    setup: `import { Analytics } from '@segment/analytics-node';
const analytics = new Analytics({ writeKey: process.env.SEGMENT_KEY ?? '' });`,
    body: `analytics.track({ userId: evt.customerId, event: 'Order Completed', properties: { total: evt.total } });`,
    at: 'analytics.track',
    expect: 'unknown',
  },
  {
    name: 'an unknown SDK create() stays unknown',
    setup: `import { LoyaltyClient } from '@acme/loyalty-sdk';
const loyalty = new LoyaltyClient({ apiKey: process.env.LOYALTY_KEY ?? '' });`,
    body: `await loyalty.points.create({ member: evt.customerId, points: evt.points });`,
    at: 'loyalty.points.create',
    expect: 'unknown',
  },
  {
    name: 'set.add on an in-memory Set stays unknown',
    setup: `const seenOrders = new Set<string>();`,
    body: `seenOrders.add(evt.orderId);`,
    at: 'seenOrders.add',
    expect: 'unknown',
  },
  {
    name: 'array.push stays unknown',
    setup: `const pendingOrders: string[] = [];`,
    body: `pendingOrders.push(evt.orderId);`,
    at: 'pendingOrders.push',
    expect: 'unknown',
  },
  {
    name: 'map.set stays unknown',
    setup: `const totals = new Map<string, number>();`,
    body: `totals.set(evt.customerId, (totals.get(evt.customerId) ?? 0) + evt.total);`,
    at: 'totals.set',
    expect: 'unknown',
  },
];

// ---- the tests ------------------------------------------------------------------------------

function describeEffects(result: AnalysisResult, file: string): string {
  const consumer = result.consumers.find((c) => c.registration.location.filePath === file);
  return consumer
    ? consumer.effects
        .map(
          (effect) =>
            `L${effect.location.line} ${effect.description.label}: ${effect.description.class}${effect.keyedByMessage ? ' (keyed)' : ''}`,
        )
        .join('; ') || 'no effects'
    : 'no consumer';
}

const names = new Set<string>();
for (const c of cases) {
  assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
  names.add(c.name);
}

for (const mode of MODES) {
  describe(`effect classification (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    const files = new Map<string, { path: string; text: string }>();

    before(() => {
      project = new TestProject(mode, 'effects');
      const roots = cases.map((c, index) => {
        const text = fileOf(c);
        const [written] = project.write({ [`case-${index}.ts`]: text });
        files.set(c.name, { path: written, text });
        return written;
      });
      result = project.analyze(roots);
    });
    after(() => project?.remove());

    for (const c of cases) {
      test(c.name, () => {
        const { path, text } = files.get(c.name)!;
        assert.deepEqual(
          result.problems.filter((problem) => problem.filePath === path),
          [],
        );
        const consumers = result.consumers.filter((consumer) => consumer.registration.location.filePath === path);
        assert.equal(consumers.length, 1, 'the fixture should register one kafkajs consumer');
        const lines = text.split('\n');
        const matching = lines.flatMap((line, index) => (line.includes(c.at) ? [index + 1] : []));
        assert.equal(matching.length, 1, `fixture: ${JSON.stringify(c.at)} should be on exactly one line`);
        const line = matching[0];
        const onLine = consumers[0].effects.filter(
          (effect) => effect.location.filePath === path && effect.location.line === line,
        );
        const seen = describeEffects(result, path);
        if (c.expect === 'unknown') {
          assert.equal(onLine.length, 0, `expected no effect recorded on line ${line}; effects: ${seen}`);
          return;
        }
        if (c.expect === 'not-unsafe') {
          assert.ok(
            onLine.every((effect) => effect.description.class !== 'duplicate-unsafe'),
            `expected nothing duplicate-unsafe on line ${line}; effects: ${seen}`,
          );
          return;
        }
        assert.equal(onLine.length, 1, `expected one effect on line ${line}; effects: ${seen}`);
        const [effect] = onLine;
        assert.equal(
          effect.description.class,
          c.expect.class,
          `class of ${effect.description.label}; effects: ${seen}`,
        );
        if (c.expect.keyed !== undefined)
          assert.equal(effect.keyedByMessage, c.expect.keyed, `keyedByMessage of ${effect.description.label}`);
        if ('processing' in c.expect && c.expect.processing !== undefined)
          assert.equal(effect.description.processing, c.expect.processing, `processing of ${effect.description.label}`);
        if (c.expect.class === 'duplicate-unsafe')
          assert.equal(effect.description.processing, true, 'duplicate-unsafe effects are processing effects');
        if (c.expect.class === 'read')
          assert.equal(effect.description.processing, false, 'reads are not processing effects');
      });
    }
  });
}
