/**
 * Effect and guard shapes met in real consumers (issue 8), written anew: how each effect is
 * classified (docs/model.md, "Effects") and which of the dedup rules (missing-event-id-check,
 * non-idempotent-handler, non-atomic-dedup) the handler then gets (docs/model.md, "Guards", "How
 * the rules share a handler"). Each case lists every dedup finding it expects, and nothing else
 * of those three rules may be reported; cases run typed and untyped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, EffectClass } from '../../server/src/model';
import type { ResolvedConfig } from '../../server/src/config/resolved-config';
import { MODES, type Mode, TestProject, configWith } from '../helpers/project';

const DEDUP_RULES = ['missing-event-id-check', 'non-idempotent-handler', 'non-atomic-dedup'] as const;
type DedupRule = (typeof DEDUP_RULES)[number];

interface ShapeCase {
  name: string;
  /** consumer.ts */
  code: string;
  files?: Record<string, string>;
  config?: Partial<ResolvedConfig>;
  modes?: readonly Mode[];
  /** Every dedup finding of the case: its rule and a text on its line (in consumer.ts unless `file`). */
  dedup: { rule: DedupRule; at: string; file?: string }[];
  /** Effects recorded on the line of `at`: their class (`none`: nothing recorded there). */
  effects?: {
    at: string;
    file?: string;
    expect: { class: Exclude<EffectClass, 'unknown' | 'ack'>; keyed?: boolean; processing?: boolean } | 'none';
  }[];
}

const KAFKA = `import { Kafka } from 'kafkajs';
const consumer = new Kafka({ clientId: 'shapes', brokers: ['kafka:9092'] }).consumer({ groupId: 'shapes' });
`;

const AMQP = `import amqp from 'amqplib';
`;

/** A kafkajs consumer whose handler body is `body` (the parsed message is `evt`). */
function kafka(imports: string, body: string): string {
  return `${KAFKA}${imports}
export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'domain.events' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const evt = JSON.parse(message.value!.toString());
${body
  .trim()
  .split('\n')
  .map((line) => `      ${line}`)
  .join('\n')}
    },
  });
}
`;
}

const TYPEORM_ENTITIES = `import { Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

@Entity('api_events')
export class ApiEvent {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'uuid', unique: true }) requestId!: string;
  @Column() origin!: string;
}

@Entity('jobs')
export class Job {
  @PrimaryGeneratedColumn() id!: number;
  @Column() requestId!: string;
  @Column() status!: string;
}

@Entity('wallets')
@Unique(['ownerId', 'currency'])
export class Wallet {
  @PrimaryGeneratedColumn() id!: number;
  @Column() ownerId!: string;
  @Column() currency!: string;
  @Column() balance!: number;
  @Column() label!: string;
}
`;

const PRISMA = `import { PrismaClient } from '@prisma/client';
export const prisma = new PrismaClient();
`;

/** A helper that checks Redis for the request, records it, and answers whether it was there. */
const SEEN_BEFORE = `import Redis from 'ioredis';

const redis = new Redis();

export async function seenBefore(requestId: string): Promise<boolean> {
  const key = \`request:\${requestId}\`;
  if (await redis.exists(key)) return true;
  await redis.set(key, 'processed', 'EX', 86400);
  return false;
}
`;

/** An amqplib consumer that asks `seenBefore` (as `check` does), then e-mails and acks. */
function emailConsumer(check: string): string {
  return `${AMQP}import nodemailer from 'nodemailer';
import { seenBefore } from './dedup';

const mailer = nodemailer.createTransport({ host: 'smtp.internal', port: 587 });

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('emails', async (msg) => {
    if (!msg) return;
    const request = JSON.parse(msg.content.toString());
    ${check}
    await mailer.sendMail({ to: request.email, subject: request.subject, text: request.body });
    channel.ack(msg);
  });
}
`;
}

const cases: ShapeCase[] = [
  // ---- guards: which checks are the handler's --------------------------------------------------
  {
    name: '"if (seen) log" without a return skips nothing: no guard, so missing-event-id-check reports the insert',
    code: kafka(
      `import Redis from 'ioredis';
import { Pool } from 'pg';
const redis = new Redis();
const pool = new Pool();`,
      `const key = \`done:\${message.offset}\`;
if (await redis.exists(key)) {
  console.warn('duplicate delivery', key);
}
await pool.query('INSERT INTO shipments (order_ref) VALUES ($1)', [evt.orderRef]);
await redis.set(key, '1', 'EX', 86400);`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
  },
  {
    name: "a check in a helper after which the handler emails anyway is the helper's own check: missing-event-id-check for the email, non-atomic-dedup for the helper's insert",
    files: {
      'orders.ts': `import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();

export async function recordOrder(order: { id: string; total: number }, messageId: string): Promise<void> {
  if (await redis.exists(\`processed:\${messageId}\`)) return;
  await pool.query('INSERT INTO orders (customer, total) VALUES ($1, $2)', [order.id, order.total]);
  await redis.set(\`processed:\${messageId}\`, '1', 'EX', 86400);
}
`,
    },
    code: `${AMQP}import nodemailer from 'nodemailer';
import { recordOrder } from './orders';

const mailer = nodemailer.createTransport({ host: 'smtp.internal', port: 587 });

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString());
    await recordOrder(order, msg.properties.messageId);
    await mailer.sendMail({ to: order.email, subject: 'Order confirmed', text: order.id });
    channel.ack(msg);
  });
}
`,
    dedup: [
      { rule: 'missing-event-id-check', at: 'channel.consume' },
      { rule: 'non-atomic-dedup', at: 'await recordOrder(' },
    ],
  },
  {
    name: 'a helper that checks, records and answers whether it was seen; the caller returns on the answer: the handler guard',
    files: { 'dedup.ts': SEEN_BEFORE },
    code: emailConsumer(`const duplicate = await seenBefore(request.requestId);
    if (duplicate) {
      channel.ack(msg);
      return;
    }`),
    dedup: [{ rule: 'non-atomic-dedup', at: 'const duplicate = await seenBefore(' }],
  },
  {
    name: 'the same helper whose answer the caller ignores: its check guards nothing of the e-mail',
    files: { 'dedup.ts': SEEN_BEFORE },
    code: emailConsumer('await seenBefore(request.requestId);'),
    dedup: [{ rule: 'missing-event-id-check', at: 'channel.consume' }],
  },
  {
    name: 'a check in a helper after which the handler only acks is the handler guard',
    files: {
      'orders.ts': `import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();

export async function recordOrder(order: { id: string; total: number }, messageId: string): Promise<void> {
  if (await redis.exists(\`processed:\${messageId}\`)) return;
  await pool.query('INSERT INTO orders (customer, total) VALUES ($1, $2)', [order.id, order.total]);
  await redis.set(\`processed:\${messageId}\`, '1', 'EX', 86400);
}
`,
    },
    code: `${AMQP}import { recordOrder } from './orders';

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString());
    await recordOrder(order, msg.properties.messageId);
    channel.ack(msg);
  });
}
`,
    dedup: [{ rule: 'non-atomic-dedup', at: 'await recordOrder(' }],
  },
  {
    name: 'a query builder getCount() keyed by the message, returned by a repository helper, is the guard',
    files: {
      'audit.ts': `import { Column, Entity, PrimaryGeneratedColumn, Repository } from 'typeorm';

@Entity()
export class AuditEntry {
  @PrimaryGeneratedColumn() rowId!: number;
  @Column() subjectId!: string;
  @Column() flowId!: string;
}

export class AuditRepository {
  constructor(private readonly repo: Repository<AuditEntry>) {}

  async existsFor(subjectId: string, flowId: string): Promise<boolean> {
    const count = await this.repo
      .createQueryBuilder('entry')
      .where('entry.subjectId = :subjectId', { subjectId })
      .andWhere('entry.flowId = :flowId', { flowId })
      .getCount();
    return count > 0;
  }

  async append(subjectId: string, flowId: string): Promise<AuditEntry> {
    const entry = this.repo.create({ subjectId, flowId });
    return this.repo.save(entry);
  }
}
`,
    },
    code: kafka(
      `import { AuditRepository } from './audit';
declare const audit: AuditRepository;`,
      `if (await audit.existsFor(evt.subjectId, evt.flowId)) return;
await audit.append(evt.subjectId, evt.flowId);`,
    ),
    dedup: [{ rule: 'non-atomic-dedup', at: 'if (await audit.existsFor' }],
    effects: [
      { at: 'this.repo.create(', file: 'audit.ts', expect: 'none' },
      { at: 'this.repo.save(entry)', file: 'audit.ts', expect: { class: 'duplicate-unsafe' } },
    ],
  },

  // ---- business-state guards ---------------------------------------------------------------------
  {
    name: 'a business-state check (status already paid) skips the charge and the status is recorded after it: non-atomic-dedup only',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import Stripe from 'stripe';
import { prisma } from './db';
const stripe = new Stripe(process.env.STRIPE_KEY ?? '');`,
      `const order = await prisma.order.findUnique({ where: { id: evt.orderId } });
if (!order) return;
if (order.status === 'PAID') return;
await stripe.charges.create({ amount: order.total, currency: 'eur', customer: order.customerId });
await prisma.order.update({ where: { id: order.id }, data: { status: 'PAID' } });`,
    ),
    dedup: [{ rule: 'non-atomic-dedup', at: "if (order.status === 'PAID') return;" }],
  },
  {
    name: 'a timestamp already past the stored one skips the processing; the stored timestamp is written after: non-atomic-dedup, and a publish before the check escapes it',
    code: kafka(
      `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const sqs = new SQSClient({});`,
      `await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs/audit', MessageBody: JSON.stringify({ received: evt.userId }) }));
const item = (await ddb.send(new GetCommand({ TableName: 'accounts', Key: { pk: evt.userId } }))).Item;
if (item && evt.timestamp <= item.sentAt) return;
await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs/notify', MessageBody: JSON.stringify(evt) }));
await ddb.send(new UpdateCommand({ TableName: 'accounts', Key: { pk: evt.userId }, UpdateExpression: 'SET sentAt = :t', ExpressionAttributeValues: { ':t': evt.timestamp } }));`,
    ),
    dedup: [
      { rule: 'non-atomic-dedup', at: 'if (item && evt.timestamp <= item.sentAt) return;' },
      { rule: 'non-idempotent-handler', at: "QueueUrl: 'https://sqs/audit'" },
    ],
  },
  {
    name: 'a business-state check recorded by a raw SQL update of the quoted column is a check-then-record',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import nodemailer from 'nodemailer';
import { prisma } from './db';
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const invoice = await prisma.invoice.findUnique({ where: { id: evt.invoiceId } });
if (!invoice) return;
if (invoice.reminderStage === evt.stage) return;
await mailer.sendMail({ to: invoice.email, subject: 'Payment reminder', text: evt.text });
await prisma.$executeRaw\`UPDATE "Invoice" SET "reminderStage" = \${evt.stage} WHERE id = \${invoice.id}\`;`,
    ),
    dedup: [{ rule: 'non-atomic-dedup', at: 'if (invoice.reminderStage === evt.stage) return;' }],
  },
  {
    name: 'a state check that is validation (nothing records that state) is no guard',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import nodemailer from 'nodemailer';
import { prisma } from './db';
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const user = await prisma.user.findUnique({ where: { id: evt.userId } });
if (!user || !user.emailVerified) return;
await mailer.sendMail({ to: user.email, subject: 'Weekly digest', text: evt.digest });
await prisma.user.update({ where: { id: user.id }, data: { lastDigestAt: new Date() } });`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
  },
  {
    name: 'a state check whose "seen" side throws is a failure, not a skip: no guard',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import nodemailer from 'nodemailer';
import { prisma } from './db';
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const invite = await prisma.invite.findUnique({ where: { id: evt.inviteId } });
if (invite?.status === 'SENT') throw new Error('already sent');
await mailer.sendMail({ to: evt.email, subject: 'You are invited', text: evt.link });
await prisma.invite.update({ where: { id: evt.inviteId }, data: { status: 'SENT' } });`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
  },
  {
    name: 'a business-state guard on one dispatch branch: effects of the other branches escape it',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import { prisma } from './db';`,
      `switch (evt.type) {
  case 'INSERT_BOOKING': {
    const draft = await prisma.draft.findUnique({ where: { id: evt.draftId } });
    if (!draft || draft.reservationNo) return;
    const response = await fetch('https://pms.example.com/bookings', { method: 'POST', body: JSON.stringify(draft) });
    await prisma.draft.update({ where: { id: evt.draftId }, data: { reservationNo: (await response.json()).no } });
    break;
  }
  case 'ADD_CHARGE':
    await fetch('https://pms.example.com/charges', { method: 'POST', body: JSON.stringify(evt) });
    break;
}`,
    ),
    dedup: [
      { rule: 'non-atomic-dedup', at: 'if (!draft || draft.reservationNo) return;' },
      { rule: 'non-idempotent-handler', at: "fetch('https://pms.example.com/charges'" },
    ],
  },

  // ---- claims, releases and keys -----------------------------------------------------------------
  {
    name: 'Firestore: a doc() reference kept in a variable, get() + exists, then set() after the work: check-then-record',
    code: kafka(
      `import { Firestore } from '@google-cloud/firestore';
import nodemailer from 'nodemailer';
const db = new Firestore();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const ref = db.collection('processed').doc(evt.eventId);
const snap = await ref.get();
if (snap.exists) return;
await mailer.sendMail({ to: evt.email, subject: 'Hi', text: evt.text });
await ref.set({ at: Date.now() });`,
    ),
    dedup: [{ rule: 'non-atomic-dedup', at: 'const snap = await ref.get();' }],
  },
  {
    name: 'a lookup key assembled by pushing message fields into an array is keyed by the message',
    code: kafka(
      `import Redis from 'ioredis';
import nodemailer from 'nodemailer';
const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const parts: string[] = ['sent'];
parts.push(evt.tenantId);
parts.push(evt.eventId);
const key = parts.join(':');
if (await redis.exists(key)) return;
await mailer.sendMail({ to: evt.email, subject: 'Hi', text: evt.text });
await redis.set(key, '1');`,
    ),
    dedup: [{ rule: 'non-atomic-dedup', at: 'if (await redis.exists(key)) return;' }],
  },
  {
    name: 'a conditional bulk update (moved out of PENDING) claims the record; moved back in the catch, it is released',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import nodemailer from 'nodemailer';
import { prisma } from './db';
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const { count } = await prisma.notification.updateMany({ where: { id: evt.notificationId, status: 'PENDING' }, data: { status: 'SENDING' } });
if (count === 0) return;
try {
  await mailer.sendMail({ to: evt.email, subject: 'Hi', text: evt.text });
} catch (err) {
  await prisma.notification.update({ where: { id: evt.notificationId }, data: { status: 'PENDING' } });
  throw err;
}
await prisma.notification.update({ where: { id: evt.notificationId }, data: { status: 'SENT' } });`,
    ),
    dedup: [],
  },
  {
    name: 'a conditional bulk-update claim never moved back when the work fails is not released',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import nodemailer from 'nodemailer';
import { prisma } from './db';
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const { count } = await prisma.notification.updateMany({ where: { id: evt.notificationId, status: 'PENDING' }, data: { status: 'SENDING' } });
if (count === 0) return;
await mailer.sendMail({ to: evt.email, subject: 'Hi', text: evt.text });`,
    ),
    dedup: [{ rule: 'non-atomic-dedup', at: 'const { count } = await prisma.notification.updateMany' }],
  },
  {
    name: 'MongoDB: updateOne moving the document keyed by the message out of a state claims it; never moved back, it is not released',
    code: kafka(
      `import { MongoClient } from 'mongodb';
const orders = new MongoClient('mongodb://db').db('shop').collection('orders');`,
      `const res = await orders.updateOne({ _id: evt.orderId, state: 'new' }, { $set: { state: 'fulfilling' } });
if (res.modifiedCount === 0) return;
await fetch('https://warehouse.example.com/shipments', { method: 'POST', body: JSON.stringify(evt) });`,
    ),
    dedup: [{ rule: 'non-atomic-dedup', at: 'const res = await orders.updateOne' }],
  },
  {
    name: 'a SQL claim released by DELETE FROM the dedup table in the catch before rethrowing is released',
    code: kafka(
      `import { Pool } from 'pg';
import nodemailer from 'nodemailer';
const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const claim = await pool.query('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING', [evt.eventId]);
if (claim.rowCount === 0) return;
try {
  await mailer.sendMail({ to: evt.email, subject: 'Hi', text: evt.text });
} catch (err) {
  await pool.query('DELETE FROM processed_events WHERE event_id = $1', [evt.eventId]);
  throw err;
}`,
    ),
    dedup: [],
  },
  {
    name: 'an inbox transaction inside a helper function is judged as the same code inline',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import { prisma } from './db';
async function applyOnce(eventId: string, accountId: string, amount: number): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.inbox.create({ data: { id: eventId } });
    await tx.account.update({ where: { id: accountId }, data: { balance: { increment: amount } } });
  });
}`,
      `await applyOnce(evt.eventId, evt.accountId, evt.amount);`,
    ),
    dedup: [],
  },
  {
    name: 'an inbox transaction inline: the claim insert rolls back with the work',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import { prisma } from './db';`,
      `await prisma.$transaction(async (tx) => {
  await tx.inbox.create({ data: { id: evt.eventId } });
  await tx.account.update({ where: { id: evt.accountId }, data: { balance: { increment: evt.amount } } });
});`,
    ),
    dedup: [],
  },
  {
    name: 'a SQL claim and a DELETE FROM another table in the catch: the claim is not released',
    code: kafka(
      `import { Pool } from 'pg';
import nodemailer from 'nodemailer';
const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const claim = await pool.query('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING', [evt.eventId]);
if (claim.rowCount === 0) return;
try {
  await mailer.sendMail({ to: evt.email, subject: 'Hi', text: evt.text });
} catch (err) {
  await pool.query('DELETE FROM outbox WHERE event_id = $1', [evt.eventId]);
  throw err;
}`,
    ),
    dedup: [{ rule: 'non-atomic-dedup', at: "const claim = await pool.query('INSERT INTO processed_events" }],
  },

  {
    name: 'ON CONFLICT on a column given a fresh id never conflicts: a second row on redelivery',
    code: kafka(
      `import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
const pool = new Pool();`,
      `await pool.query('INSERT INTO order_notes (id, order_id, note) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING', [randomUUID(), evt.orderId, evt.note]);`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [{ at: 'INSERT INTO order_notes', expect: { class: 'duplicate-unsafe' } }],
  },
  {
    name: 'ON CONFLICT on the event id column claims the message even when another column is a fresh timestamp; released in the catch',
    code: kafka(
      `import { Pool } from 'pg';
import nodemailer from 'nodemailer';
const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });`,
      `const claim = await pool.query('INSERT INTO processed_events (event_id, received_at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING', [evt.eventId, new Date()]);
if (claim.rowCount === 0) return;
try {
  await mailer.sendMail({ to: evt.email, subject: 'Hi', text: evt.text });
} catch (err) {
  await pool.query('DELETE FROM processed_events WHERE event_id = $1', [evt.eventId]);
  throw err;
}`,
    ),
    dedup: [],
  },

  // ---- TypeORM and Sequelize entities ------------------------------------------------------------
  {
    name: 'TypeORM: create() is an in-memory factory; saving an entity whose unique column is the message request id is keyed, and a job saved with it in one transaction rolls back with it',
    files: { 'entities.ts': TYPEORM_ENTITIES },
    code: kafka(
      `import { DataSource } from 'typeorm';
import { ApiEvent, Job } from './entities';
const dataSource = new DataSource({ type: 'postgres' });`,
      `await dataSource.transaction(async (manager) => {
  const apiEvent = manager.create(ApiEvent, { requestId: evt.requestId, origin: evt.origin });
  const saved = await manager.save(ApiEvent, apiEvent);
  await manager.save(Job, manager.create(Job, { requestId: saved.requestId, status: 'pending' }));
});`,
    ),
    dedup: [],
    effects: [
      { at: 'manager.create(ApiEvent', expect: 'none' },
      { at: 'manager.save(ApiEvent', expect: { class: 'idempotent', keyed: true } },
    ],
  },
  {
    name: 'TypeORM: a saved entity whose message field is not a unique column is not keyed',
    files: { 'entities.ts': TYPEORM_ENTITIES },
    code: kafka(
      `import { DataSource } from 'typeorm';
import { Job } from './entities';
const dataSource = new DataSource({ type: 'postgres' });
const jobs = dataSource.getRepository(Job);`,
      `const job = jobs.create({ requestId: evt.requestId, status: 'pending' });
await jobs.save(job);`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [{ at: 'jobs.save(job)', expect: { class: 'duplicate-unsafe' } }],
  },
  {
    name: 'TypeORM: a composite unique key counts only when every column comes from the message',
    files: { 'entities.ts': TYPEORM_ENTITIES },
    code: kafka(
      `import { DataSource } from 'typeorm';
import { Wallet } from './entities';
const dataSource = new DataSource({ type: 'postgres' });
const wallets = dataSource.getRepository(Wallet);`,
      `await wallets.insert({ ownerId: evt.ownerId, currency: evt.currency, balance: 0, label: 'main' });
await wallets.insert({ ownerId: evt.ownerId, currency: 'EUR', balance: 0, label: evt.label });`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [
      { at: "label: 'main'", expect: { class: 'idempotent', keyed: true } },
      { at: "currency: 'EUR'", expect: { class: 'duplicate-unsafe' } },
    ],
  },
  {
    name: 'TypeORM: saving an entity loaded by its key with absolute values is an update; changing it relative to what was loaded is a read-modify-write',
    files: { 'entities.ts': TYPEORM_ENTITIES },
    code: kafka(
      `import { DataSource } from 'typeorm';
import { Wallet } from './entities';
const dataSource = new DataSource({ type: 'postgres' });
const wallets = dataSource.getRepository(Wallet);`,
      `const wallet = await wallets.findOneBy({ ownerId: evt.ownerId });
if (!wallet) return;
wallet.label = evt.label;
await wallets.save(wallet);
const other = await wallets.findOneBy({ ownerId: evt.counterpartyId });
if (!other) return;
other.balance += evt.amount;
await wallets.save(other);`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [
      { at: 'wallets.save(wallet)', expect: { class: 'idempotent' } },
      { at: 'wallets.save(other)', expect: { class: 'duplicate-unsafe' } },
    ],
  },
  {
    name: 'TypeORM: saving the entities a helper loaded, with absolute values, is an update',
    files: {
      'entities.ts': TYPEORM_ENTITIES,
      'wallets.ts': `import { DataSource } from 'typeorm';
import { Wallet } from './entities';
const dataSource = new DataSource({ type: 'postgres' });
export const wallets = dataSource.getRepository(Wallet);

export async function walletOf(ownerId: string): Promise<Wallet | null> {
  return wallets.findOne({ where: { ownerId } });
}
`,
    },
    code: kafka(
      `import { wallets, walletOf } from './wallets';`,
      `const wallet = await walletOf(evt.ownerId);
if (!wallet) return;
wallet.label = evt.label;
await wallets.save(wallet);`,
    ),
    dedup: [],
    effects: [{ at: 'wallets.save(wallet)', expect: { class: 'idempotent' } }],
  },
  {
    name: 'Sequelize: findOrCreate is a get-or-create; an instance loaded and saved is an update; a model injected as `typeof Model` from a path alias is recognised',
    files: {
      'models/status-log.ts': `import { Column, Model, Table } from 'sequelize-typescript';

@Table({ tableName: 'status_logs' })
export class StatusLog extends Model {
  @Column notificationId!: string;
  @Column status!: string;
}
`,
      'status.ts': `import { StatusLog } from './models/status-log';

export class StatusService {
  constructor(private readonly logs: typeof StatusLog) {}

  async setStatus(notificationId: string, status: string): Promise<void> {
    const existing = await this.logs.findOne({ where: { notificationId } });
    if (existing) {
      existing.status = status;
      await existing.save();
    } else {
      await this.logs.create({ notificationId, status });
    }
  }

  async ensure(notificationId: string): Promise<void> {
    await this.logs.findOrCreate({ where: { notificationId }, defaults: { notificationId, status: 'PENDING' } });
  }
}
`,
    },
    code: kafka(
      `import { StatusService } from './status';
declare const statuses: StatusService;`,
      `await statuses.ensure(evt.notificationId);
await statuses.setStatus(evt.notificationId, evt.status);`,
    ),
    // The get-or-create is one cause: non-atomic-dedup only (a sequential redelivery finds the row).
    dedup: [{ rule: 'non-atomic-dedup', at: 'await statuses.setStatus' }],
    effects: [
      { at: 'existing.save()', file: 'status.ts', expect: { class: 'idempotent' } },
      { at: 'this.logs.create(', file: 'status.ts', expect: { class: 'duplicate-unsafe' } },
      { at: 'this.logs.findOrCreate(', file: 'status.ts', expect: { class: 'idempotent' } },
    ],
  },
  {
    name: 'Prisma: a nested connect: { id } is the related row, not the created row key',
    files: { 'db.ts': PRISMA },
    code: kafka(
      `import { prisma } from './db';`,
      `await prisma.comment.create({ data: { body: evt.body, post: { connect: { id: evt.postId } } } });`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [{ at: 'prisma.comment.create', expect: { class: 'duplicate-unsafe' } }],
  },
  {
    name: "Prisma: a helper that forwards its args to create keeps the caller's key",
    files: {
      'db.ts': PRISMA,
      'orders.ts': `import { prisma } from './db';
export async function createOrder(args: { data: { id: string; total: number } }) {
  return prisma.order.create(args);
}
`,
    },
    code: kafka(
      `import { createOrder } from './orders';`,
      `await createOrder({ data: { id: evt.orderId, total: evt.total } });`,
    ),
    dedup: [],
    effects: [{ at: 'prisma.order.create(args)', file: 'orders.ts', expect: { class: 'idempotent', keyed: true } }],
  },
  {
    name: 'Prisma: a client cached on a global under a generic name is recognised',
    files: {
      'db.ts': `import { PrismaClient } from '@prisma/client';
const globalForDb = globalThis as unknown as { db?: PrismaClient };
export const db = globalForDb.db ?? new PrismaClient();
`,
    },
    code: kafka(`import { db } from './db';`, `await db.invoice.create({ data: { customerId: evt.customerId } });`),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [{ at: 'db.invoice.create', expect: { class: 'duplicate-unsafe' } }],
  },
  {
    name: 'a Redis client held in a class field typed `X | undefined` and connected in a setup method is recognised',
    files: {
      'counter.ts': `import Redis from 'ioredis';
export class Counter {
  private client: Redis | undefined;
  onModuleInit(): void {
    this.client = new Redis();
  }
  async bump(key: string): Promise<void> {
    await this.client?.incr(key);
  }
}
`,
    },
    code: kafka(
      `import { Counter } from './counter';
declare const counter: Counter;`,
      `await counter.bump(evt.page);`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [{ at: 'this.client?.incr', file: 'counter.ts', expect: { class: 'duplicate-unsafe' } }],
  },

  // ---- external calls ------------------------------------------------------------------------
  {
    name: 'a memoised once-per-process initialisation (login, register an admin) is not processing',
    files: {
      'admin.ts': `import axios from 'axios';
export class AdminSession {
  private session?: { token: string };
  async session_(): Promise<{ token: string }> {
    if (this.session) return this.session;
    const response = await axios.post('https://auth.internal/register', { user: 'admin' });
    this.session = { token: response.data.token };
    return this.session;
  }
  async joinRoom(roomId: string): Promise<void> {
    const session = await this.session_();
    await axios.put(\`https://chat.internal/rooms/\${roomId}/members\`, { token: session.token });
  }
}
`,
    },
    code: kafka(
      `import { AdminSession } from './admin';
declare const admin: AdminSession;`,
      `await admin.joinRoom(evt.roomId);`,
    ),
    dedup: [],
    effects: [
      {
        at: "axios.post('https://auth.internal/register'",
        file: 'admin.ts',
        expect: { class: 'idempotent', processing: false },
      },
    ],
  },
  {
    name: 'an RPC reply published to the request replyTo through a helper is not an effect of the processing',
    files: {
      'rpc.ts': `import type { Channel } from 'amqplib';
export class Rpc {
  constructor(private readonly channel: Channel) {}
  publish(exchange: string, routingKey: string, body: unknown, options: { correlationId?: string }): boolean {
    return this.channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), options);
  }
}
`,
    },
    code: `${AMQP}import { Rpc } from './rpc';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  const rpc = new Rpc(channel);
  await channel.consume('quotes.rpc', async (msg) => {
    if (!msg) return;
    const { replyTo, correlationId } = msg.properties;
    const request = JSON.parse(msg.content.toString());
    rpc.publish('', replyTo, { price: request.amount * 2 }, { correlationId });
    channel.ack(msg);
  });
}
`,
    dedup: [],
    effects: [{ at: 'this.channel.publish(exchange', file: 'rpc.ts', expect: { class: 'read', processing: false } }],
  },
  {
    name: 'a POST whose header names the event ID is keyed by the message; a header named otherwise is not',
    code: kafka(
      ``,
      `await fetch(evt.callbackUrl, { method: 'POST', headers: { 'X-Acme-Event-Id': evt.eventId }, body: JSON.stringify(evt) });
await fetch(evt.auditUrl, { method: 'POST', headers: { 'X-Acme-Call': evt.eventId }, body: JSON.stringify(evt) });`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [
      { at: "'X-Acme-Event-Id'", expect: { class: 'idempotent', keyed: true } },
      { at: "'X-Acme-Call'", expect: { class: 'duplicate-unsafe' } },
    ],
  },
  {
    name: 'AWS SDK commands that start something are duplicate-unsafe unless they carry a client token from the message',
    code: kafka(
      `import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
const ecs = new ECSClient({});
const sfn = new SFNClient({});`,
      `await ecs.send(new RunTaskCommand({ cluster: 'transcode', taskDefinition: 'ffmpeg', overrides: { containerOverrides: [{ name: 'ffmpeg', environment: [{ name: 'KEY', value: evt.key }] }] } }));
await sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:::sm', name: evt.eventId, input: JSON.stringify(evt) }));`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [
      { at: 'new RunTaskCommand', expect: { class: 'duplicate-unsafe' } },
      { at: 'new StartExecutionCommand', expect: { class: 'idempotent', keyed: true } },
    ],
  },
  {
    name: 'a socket.io emit to live connections is not a processing effect',
    code: kafka(
      `import { Server } from 'socket.io';
const io = new Server(3000);`,
      `io.to(evt.roomId).emit('chat', evt.text);`,
    ),
    dedup: [],
    effects: [{ at: "emit('chat'", expect: { class: 'read', processing: false } }],
  },
  {
    name: 'notification services by category: an SMS client sendSms, a chat postMessage, a multi-channel trigger',
    code: kafka(
      `import { SmsClient } from '@acme/sms-sdk';
import { WebClient } from '@slack/web-api';
import { Knock } from '@knocklabs/node';
const sms = new SmsClient(process.env.SMS_KEY ?? '');
const slack = new WebClient(process.env.SLACK_TOKEN);
const knock = new Knock(process.env.KNOCK_KEY);`,
      `await sms.sendSms({ to: evt.phone, text: 'Your code' });
await slack.chat.postMessage({ channel: '#orders', text: evt.summary });
await knock.workflows.trigger('order-shipped', { recipients: [evt.userId] });`,
    ),
    dedup: [{ rule: 'missing-event-id-check', at: 'eachMessage' }],
    effects: [
      { at: 'sms.sendSms', expect: { class: 'duplicate-unsafe' } },
      { at: 'slack.chat.postMessage', expect: { class: 'duplicate-unsafe' } },
      { at: "knock.workflows.trigger('order-shipped'", expect: { class: 'duplicate-unsafe' } },
    ],
  },
];

// ---- the tests ------------------------------------------------------------------------------

function lineOfText(text: string, at: string, where: string): number {
  const lines = text.split('\n').flatMap((line, index) => (line.includes(at) ? [index + 1] : []));
  assert.equal(lines.length, 1, `fixture: ${JSON.stringify(at)} should be on exactly one line of ${where}`);
  return lines[0];
}

const names = new Set<string>();
for (const c of cases) {
  assert.ok(!names.has(c.name), `duplicate case name ${c.name}`);
  names.add(c.name);
}

for (const mode of MODES) {
  describe(`effect and guard shapes (${mode})`, () => {
    let project: TestProject;
    const results = new Map<string, AnalysisResult>();
    const folders = new Map<string, string>();

    before(() => {
      project = new TestProject(mode, 'dedup-shapes');
      const groups = new Map<string, { names: string[]; files: string[] }>();
      cases.forEach((c, index) => {
        if (!(c.modes ?? MODES).includes(mode)) return;
        const folder = `case-${index}`;
        folders.set(c.name, folder);
        const written = project.write(
          Object.fromEntries(
            Object.entries({ 'consumer.ts': c.code, ...(c.files ?? {}) }).map(([name, text]) => [
              `${folder}/${name}`,
              text,
            ]),
          ),
        );
        const key = JSON.stringify(c.config ?? {});
        const group = groups.get(key) ?? { names: [], files: [] };
        group.names.push(c.name);
        group.files.push(...written);
        groups.set(key, group);
      });
      for (const [key, group] of groups) {
        const result = project.analyze(group.files, configWith(JSON.parse(key) as Partial<ResolvedConfig>));
        for (const name of group.names) results.set(name, result);
      }
    });
    after(() => project?.remove());

    for (const c of cases) {
      if (!(c.modes ?? MODES).includes(mode)) continue;
      test(c.name, () => {
        const result = results.get(c.name)!;
        const folder = folders.get(c.name)!;
        const texts: Record<string, string> = { 'consumer.ts': c.code, ...(c.files ?? {}) };
        assert.deepEqual(
          result.problems.filter((problem) => problem.filePath.includes(`/${folder}/`)),
          [],
          'the analysis reported problems',
        );
        const consumers = result.consumers.filter((consumer) =>
          consumer.registration.location.filePath.endsWith(`/${folder}/consumer.ts`),
        );
        assert.equal(consumers.length, 1, 'the fixture should register one consumer');
        const [consumer] = consumers;
        const seen = consumer.effects
          .map(
            (effect) =>
              `${effect.location.filePath.split(`/${folder}/`)[1]}:${effect.location.line} ${effect.description.label}=${effect.description.class}${effect.keyedByMessage ? ' (keyed)' : ''}`,
          )
          .join('; ');
        for (const want of c.effects ?? []) {
          const file = want.file ?? 'consumer.ts';
          const line = lineOfText(texts[file], want.at, file);
          const onLine = consumer.effects.filter(
            (effect) => effect.location.filePath.endsWith(`/${folder}/${file}`) && effect.location.line === line,
          );
          if (want.expect === 'none') {
            assert.equal(onLine.length, 0, `expected no effect on ${file}:${line}; effects: ${seen}`);
            continue;
          }
          assert.ok(onLine.length >= 1, `expected an effect on ${file}:${line}; effects: ${seen}`);
          for (const effect of onLine) {
            assert.equal(effect.description.class, want.expect.class, `class on ${file}:${line}; effects: ${seen}`);
            if (want.expect.keyed !== undefined)
              assert.equal(
                effect.keyedByMessage,
                want.expect.keyed,
                `keyedByMessage on ${file}:${line}; effects: ${seen}`,
              );
            if (want.expect.processing !== undefined)
              assert.equal(effect.description.processing, want.expect.processing, `processing on ${file}:${line}`);
          }
        }
        const findings = result.findings
          .filter((finding) => (DEDUP_RULES as readonly string[]).includes(finding.ruleId))
          .filter((finding) => finding.location.filePath.includes(`/${folder}/`))
          .map(
            (finding) =>
              `${finding.ruleId} ${finding.location.filePath.split(`/${folder}/`)[1]}:${finding.location.line}`,
          )
          .sort();
        const expected = c.dedup
          .map((want) => {
            const file = want.file ?? 'consumer.ts';
            return `${want.rule} ${file}:${lineOfText(texts[file], want.at, file)}`;
          })
          .sort();
        const guards = consumer.guards.map(
          (guard) => `${guard.label} (${guard.scope}, keyed=${guard.keyedByIdentity})`,
        );
        assert.deepEqual(findings, expected, `dedup findings; guards: ${guards.join(', ')}; effects: ${seen}`);
      });
    }
  });
}
