/**
 * The inbox dedup guard (missing-event-id-check, guardStrategy `sql`) on the project's own
 * database client: a connection of its pg pool, a Prisma `$transaction`, a Knex transaction, a
 * TypeORM repository's `manager.transaction`. The
 * handler's writes move onto the transaction's handle, so the claim and the writes commit or roll
 * back together; where that cannot be done by an edit (a write in a helper, a single pg Client, two
 * clients, no write at all) the inbox is not offered. Each fix is applied, type-checked (typed
 * mode, with the installed types) and analysed again.
 */
import { fixTests } from '../helpers/fix-cases';

const SQL = { guardStrategy: 'sql' } as const;
const INBOX = 'Add an inbox-table dedup guard';

const KAFKA_HEAD = `import { Kafka } from 'kafkajs';
`;
const CONSUMER = `const consumer = new Kafka({ clientId: 'billing', brokers: ['kafka:9092'] }).consumer({ groupId: 'billing' });
`;

const PRISMA = `${KAFKA_HEAD}import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();
${CONSUMER}
export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; totalCents: number };
      await prisma.invoice.create({ data: { orderId: order.id, totalCents: order.totalCents } });
      await prisma.order.update({ where: { id: order.id }, data: { invoiced: true } });
    },
  });
}
`;

/**
 * The shape of a generated Prisma client for the fixture's two models, as `prisma generate` writes
 * it under node_modules (the package's own types are only a stub until then): enough for tsc to
 * check what the fix writes against Prisma's API.
 */
const PRISMA_CLIENT_TYPES = `type Delegate<Create, Update> = {
  create(args: { data: Create }): Promise<Create & { id: string }>;
  update(args: { where: { id: string }; data: Update }): Promise<unknown>;
};
export interface TransactionClient {
  invoice: Delegate<{ orderId: string; totalCents: number }, { totalCents?: number }>;
  order: Delegate<{ id: string }, { invoiced?: boolean }>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}
export declare class PrismaClient implements TransactionClient {
  invoice: TransactionClient['invoice'];
  order: TransactionClient['order'];
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $transaction<R>(fn: (tx: TransactionClient) => Promise<R>): Promise<R>;
}
`;

const KNEX = `${KAFKA_HEAD}import knex from 'knex';

const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });
${CONSUMER}
export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; totalCents: number };
      await db('invoices').insert({ order_id: order.id, total_cents: order.totalCents });
    },
  });
}
`;

/**
 * TypeORM's API for what the fixture and the fix use, as its own declarations have it (the package
 * is not a dev dependency: its peer ranges conflict with the project's ioredis).
 */
const TYPEORM_TYPES = `export type ObjectType<T> = { new (): T };
export declare class Repository<T> {
  readonly manager: EntityManager;
  insert(entity: Partial<T> | Partial<T>[]): Promise<unknown>;
  save(entity: Partial<T>): Promise<T>;
}
export declare class EntityManager {
  query(query: string, parameters?: unknown[]): Promise<any>;
  transaction<R>(runInTransaction: (entityManager: EntityManager) => Promise<R>): Promise<R>;
  getRepository<T>(target: ObjectType<T>): Repository<T>;
  withRepository<R extends Repository<any>>(repository: R): R;
}
export declare class DataSource {
  constructor(options: { type: string; url?: string; entities?: unknown[] });
  readonly manager: EntityManager;
  getRepository<T>(target: ObjectType<T>): Repository<T>;
  transaction<R>(runInTransaction: (entityManager: EntityManager) => Promise<R>): Promise<R>;
}
`;

const TYPEORM = `${KAFKA_HEAD}import { DataSource } from 'typeorm';

class Invoice {
  id!: number;
  orderId!: string;
  totalCents!: number;
}

const dataSource = new DataSource({ type: 'postgres', url: process.env.DATABASE_URL, entities: [Invoice] });
const invoices = dataSource.getRepository(Invoice);
${CONSUMER}
export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; totalCents: number };
      await invoices.insert({ orderId: order.id, totalCents: order.totalCents });
    },
  });
}
`;

const PG_HELPER = `${KAFKA_HEAD}import { Pool } from 'pg';

const pool = new Pool();
${CONSUMER}
async function saveInvoice(order: { id: string; totalCents: number }): Promise<void> {
  await pool.query('INSERT INTO invoices (order_id, total_cents) VALUES ($1, $2)', [order.id, order.totalCents]);
}

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; totalCents: number };
      await saveInvoice(order);
    },
  });
}
`;

const PG_CLIENT = `${KAFKA_HEAD}import { Client } from 'pg';

const client = new Client();
${CONSUMER}
export async function run(): Promise<void> {
  await client.connect();
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; totalCents: number };
      await client.query('INSERT INTO invoices (order_id, total_cents) VALUES ($1, $2)', [order.id, order.totalCents]);
    },
  });
}
`;

const TWO_CLIENTS = PRISMA.replace(
  "import { PrismaClient } from '@prisma/client';\n",
  "import { PrismaClient } from '@prisma/client';\nimport { Pool } from 'pg';\n",
)
  .replace('const prisma = new PrismaClient();\n', 'const prisma = new PrismaClient();\nconst pool = new Pool();\n')
  .replace(
    'await prisma.order.update({ where: { id: order.id }, data: { invoiced: true } });',
    "await pool.query('INSERT INTO audit (order_id) VALUES ($1)', [order.id]);",
  );

fixTests('missing-event-id-check', [
  {
    name: 'Prisma: the claim and the writes run in prisma.$transaction, on its tx',
    code: PRISMA,
    files: { 'node_modules/@prisma/client/index.d.ts': PRISMA_CLIENT_TYPES },
    config: SQL,
    fix: INBOX,
    contains: [
      'const fresh = await prisma.$transaction(async (tx) => {',
      "const claimed = await tx.$executeRawUnsafe('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING', `billing:${topic}:${partition}:${message.offset}`);",
      'if (claimed === 0) return false; // a duplicate: commit nothing',
      'await tx.invoice.create({ data: { orderId: order.id, totalCents: order.totalCents } });',
      'await tx.order.update({ where: { id: order.id }, data: { invoiced: true } });',
      'if (!fresh) return;',
    ],
    absent: ['missing-event-id-check', 'non-atomic-dedup', 'non-idempotent-handler'],
  },
  {
    name: 'Knex: the claim and the insert run in db.transaction, on its trx',
    code: KNEX,
    config: SQL,
    fix: INBOX,
    contains: [
      'const fresh = await db.transaction(async (trx) => {',
      "const claimed = await trx.raw('INSERT INTO processed_events (event_id) VALUES (?) ON CONFLICT DO NOTHING', [`billing:${topic}:${partition}:${message.offset}`]);",
      "await trx('invoices').insert({ order_id: order.id, total_cents: order.totalCents });",
    ],
    absent: ['missing-event-id-check', 'non-atomic-dedup', 'non-idempotent-handler'],
  },
  {
    name: "TypeORM: the claim and the insert run in the repository's manager.transaction, through withRepository",
    code: TYPEORM,
    files: { 'node_modules/typeorm/index.d.ts': TYPEORM_TYPES },
    config: SQL,
    fix: INBOX,
    contains: [
      'const fresh = await invoices.manager.transaction(async (manager) => {',
      "const claimed: unknown[] = await manager.query('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id', [`billing:${topic}:${partition}:${message.offset}`]);",
      'if (claimed.length === 0) return false; // a duplicate: commit nothing',
      'await manager.withRepository(invoices).insert({ orderId: order.id, totalCents: order.totalCents });',
    ],
    absent: ['missing-event-id-check', 'non-atomic-dedup', 'non-idempotent-handler'],
  },
  {
    name: 'a write in a helper cannot be moved onto the transaction: no inbox (the Redis guard stays)',
    code: PG_HELPER,
    config: SQL,
    notOffered: [INBOX],
  },
  {
    name: 'a single pg Client (not a pool) shared by every delivery: no inbox transaction on it',
    code: PG_CLIENT,
    config: SQL,
    notOffered: [INBOX],
  },
  {
    name: 'writes through two clients cannot share one transaction: no inbox',
    code: TWO_CLIENTS,
    config: SQL,
    notOffered: [INBOX],
  },
]);
