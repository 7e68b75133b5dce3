/**
 * The crash timeline (server/src/analysis/report/derive-timeline.ts), derived from the analysis of real handlers:
 * every ack mode (explicit ack at the end, ack first, implicit after return, auto-ack on delivery,
 * a Kafka transaction that commits the offsets) and every guard kind (none, check-then-record, a
 * claim with a short lease released on failure, a claim that is never released, an inbox insert in
 * the effects' own transaction). Each test states the outcome at every crash point.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConsumerReport } from '../../server/src/model';
import { crashTimeline, worstOutcome } from '../../server/src/analysis/report/derive-timeline';
import type { CrashOutcome, CrashTimeline } from '../../server/src/model';
import { ensureTimeline } from '../../server/src/analysis/report/build';
import { MODES, TestProject, configWith } from '../helpers/project';

/** One line per step: `kind label | crash outcome / error outcome` (error `-` after the last step). */
function table(timeline: CrashTimeline): string[] {
  return timeline.steps.map((step, index) => {
    const point = timeline.points[index];
    return `${step.kind} ${step.label} | ${point.crash.kind} / ${point.error?.kind ?? '-'}`;
  });
}

function labels(outcome: CrashOutcome | undefined): { duplicates: string[]; lost: string[] } {
  return {
    duplicates: outcome?.duplicates.map((item) => item.label) ?? [],
    lost: outcome?.lost.map((item) => item.label) ?? [],
  };
}

// ---- ack modes, no guard ---------------------------------------------------------------------

const AMQP_ACK_LAST = `import amqp from 'amqplib';
import Stripe from 'stripe';
import { Pool } from 'pg';

const stripe = new Stripe('sk_test_x');
const pool = new Pool();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://localhost')).createChannel();
  await channel.consume('payments', async (msg) => {
    if (!msg) return;
    const payment = JSON.parse(msg.content.toString());
    await stripe.charges.create({ amount: payment.amount, currency: 'eur', customer: payment.customerId });
    await pool.query('INSERT INTO receipts (customer_id, amount) VALUES ($1, $2)', [payment.customerId, payment.amount]);
    channel.ack(msg);
  });
}
`;

const AMQP_ACK_FIRST = `import amqp from 'amqplib';
import Stripe from 'stripe';
import { Pool } from 'pg';

const stripe = new Stripe('sk_test_x');
const pool = new Pool();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://localhost')).createChannel();
  await channel.consume('payments', async (msg) => {
    if (!msg) return;
    channel.ack(msg);
    const payment = JSON.parse(msg.content.toString());
    await stripe.charges.create({ amount: payment.amount, currency: 'eur', customer: payment.customerId });
    await pool.query('INSERT INTO receipts (customer_id, amount) VALUES ($1, $2)', [payment.customerId, payment.amount]);
  });
}
`;

const KAFKA_IMPLICIT = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';

const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });
const consumer = new Kafka({ clientId: 'audit', brokers: ['kafka:9092'] }).consumer({ groupId: 'audit' });

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'accounts.opened' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const account = JSON.parse(message.value!.toString());
      await pool.query('INSERT INTO audit_log (account_id, kind) VALUES ($1, $2)', [account.id, 'opened']);
      mailer.sendMail({ to: account.email, subject: 'Welcome', text: 'Your account is open.' });
    },
  });
}
`;

const SQS_RETURNS = (returned: string) => `import { Consumer } from 'sqs-consumer';

export const orders = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders',
  handleMessage: async (message) => {
    const order = JSON.parse(message.Body ?? '{}');
    await fetch('https://fulfilment.example.com/orders', { method: 'POST', body: JSON.stringify(order) });
    ${returned}
  },
});
`;

const AMQP_NO_ACK = `import amqp from 'amqplib';
import Redis from 'ioredis';
import nodemailer from 'nodemailer';

const redis = new Redis();
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://localhost')).createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const signup = JSON.parse(msg.content.toString());
    await redis.incr('signups:today');
    await mailer.sendMail({ to: signup.email, subject: 'Welcome', text: 'Thanks for signing up.' });
  }, { noAck: true });
}
`;

/** Consume-transform-produce: the output and the consumed offsets commit in one Kafka transaction. */
const KAFKA_TRANSACTION = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const kafka = new Kafka({ clientId: 'enricher', brokers: ['kafka:9092'] });
const pool = new Pool();
const producer = kafka.producer({ transactionalId: 'enricher-1', maxInFlightRequests: 1, idempotent: true });
const consumer = kafka.consumer({ groupId: 'enricher', readUncommitted: false });

export async function enrich(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const transaction = await producer.transaction();
      try {
        await transaction.send({ topic: 'orders.enriched', messages: [{ key: message.key, value: message.value }] });
        await pool.query('UPDATE order_stats SET enriched = enriched + 1');
        await transaction.sendOffsets({ consumerGroupId: 'enricher', topics: [{ topic, partitions: [{ partition, offset: (Number(message.offset) + 1).toString() }] }] });
        await transaction.commit();
      } catch (error) {
        await transaction.abort();
        throw error;
      }
    },
  });
}
`;

/** A database transaction by callback, with no guard: its writes roll back together until it commits. */
const PRISMA_TRANSACTION = `import amqp from 'amqplib';
import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://localhost')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString());
    await prisma.$transaction(async (tx) => {
      await tx.order.create({ data: { customerId: order.customerId, total: order.total } });
      await tx.stock.update({ where: { sku: order.sku }, data: { count: { decrement: 1 } } });
    });
    channel.ack(msg);
  });
}
`;

// ---- guard kinds -----------------------------------------------------------------------------

const REDIS_CHECK_THEN_RECORD = `import amqp from 'amqplib';
import Redis from 'ioredis';
import Stripe from 'stripe';
import nodemailer from 'nodemailer';

const redis = new Redis();
const stripe = new Stripe('sk_test_x');
const mailer = nodemailer.createTransport({ host: 'smtp.example.com' });

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://localhost')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const id = msg.properties.messageId;
    if (await redis.exists(\`seen:\${id}\`)) {
      channel.ack(msg);
      return;
    }
    const order = JSON.parse(msg.content.toString());
    try {
      await stripe.charges.create({ amount: order.amount, currency: 'eur', source: order.card });
      await mailer.sendMail({ to: order.email, subject: 'Paid', text: 'Thanks' });
      await redis.set(\`seen:\${id}\`, '1');
      channel.ack(msg);
    } catch (error) {
      channel.nack(msg, false, true);
    }
  });
}
`;

/** The claim the redis quick-fix writes: SET NX with a short lease, released on failure, marked done after the work. */
const REDIS_CLAIM_RELEASED = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import Stripe from 'stripe';
import { Pool } from 'pg';

const redis = new Redis();
const stripe = new Stripe('sk_test_x');
const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger-writer' });

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const key = \`processed:\${topic}:\${partition}:\${message.offset}\`;
      const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');
      if (!claimed) return;
      try {
        const payment = JSON.parse(message.value!.toString());
        await stripe.charges.create({ amount: payment.amountCents, currency: 'eur', customer: payment.customerId });
        await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
      } catch (error) {
        await redis.del(key);
        throw error;
      }
      await redis.set(key, 'done', 'EX', 7 * 24 * 3600);
    },
  });
}
`;

/** A leased claim whose "seen" path requeues instead of acking: turned away until the lease expires. */
const REDIS_CLAIM_REQUEUED = `import amqp from 'amqplib';
import Redis from 'ioredis';
import Stripe from 'stripe';

const redis = new Redis();
const stripe = new Stripe('sk_test_x');

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://localhost')).createChannel();
  await channel.consume('charges', async (msg) => {
    if (!msg) return;
    const claimed = await redis.set(\`charge:\${msg.properties.messageId}\`, 'processing', 'EX', 60, 'NX');
    if (!claimed) {
      channel.nack(msg, false, true);
      return;
    }
    const charge = JSON.parse(msg.content.toString());
    await stripe.charges.create({ amount: charge.amount, currency: 'eur', customer: charge.customerId });
    await redis.set(\`charge:\${msg.properties.messageId}\`, 'done');
    channel.ack(msg);
  });
}
`;

/** The inbox pattern: the processed-events row is inserted in the same transaction as the writes. */
const SQL_INBOX = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'wallet', brokers: ['kafka:9092'] }).consumer({ groupId: 'wallet-topups' });

export async function applyTopUps(): Promise<void> {
  await consumer.subscribe({ topic: 'wallet.topped-up' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const topUp = JSON.parse(message.value!.toString()) as { walletId: string; amountCents: number };
      const db = await pool.connect();
      try {
        await db.query('BEGIN');
        const { rowCount } = await db.query('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING', [\`\${topic}:\${partition}:\${message.offset}\`]);
        if (rowCount === 0) {
          await db.query('ROLLBACK');
          return;
        }
        await db.query('UPDATE wallets SET balance_cents = balance_cents + $1 WHERE id = $2', [topUp.amountCents, topUp.walletId]);
        await db.query('INSERT INTO wallet_ledger (wallet_id, amount_cents) VALUES ($1, $2)', [topUp.walletId, topUp.amountCents]);
        await db.query('COMMIT');
      } catch (error) {
        await db.query('ROLLBACK');
        throw error;
      } finally {
        db.release();
      }
    },
  });
}
`;

/** The inbox covers only what is in its transaction: a card charge inside BEGIN…COMMIT, a publish after it. */
const SQL_INBOX_WITH_OUTSIDE_EFFECTS = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import Stripe from 'stripe';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';

const pool = new Pool();
const stripe = new Stripe('sk_test_x');
const sqs = new SQSClient({});
const consumer = new Kafka({ clientId: 'wallet', brokers: ['kafka:9092'] }).consumer({ groupId: 'wallet-topups' });

export async function applyTopUps(): Promise<void> {
  await consumer.subscribe({ topic: 'wallet.topped-up' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const topUp = JSON.parse(message.value!.toString()) as { walletId: string; amountCents: number; card: string };
      const db = await pool.connect();
      try {
        await db.query('BEGIN');
        const { rowCount } = await db.query('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING', [\`\${topic}:\${partition}:\${message.offset}\`]);
        if (rowCount === 0) {
          await db.query('ROLLBACK');
          return;
        }
        await db.query('UPDATE wallets SET balance_cents = balance_cents + $1 WHERE id = $2', [topUp.amountCents, topUp.walletId]);
        await stripe.charges.create({ amount: topUp.amountCents, currency: 'eur', source: topUp.card });
        await db.query('COMMIT');
      } catch (error) {
        await db.query('ROLLBACK');
        throw error;
      } finally {
        db.release();
      }
      await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/wallet-events', MessageBody: JSON.stringify(topUp) }));
    },
  });
}
`;

/** An inbox insert on the pool, outside any transaction: a claim with no lease that is never released. */
const SQL_CLAIM_OUTSIDE_TRANSACTION = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const deposits = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/deposits',
  handleMessage: async (message) => {
    const deposit = JSON.parse(message.Body ?? '{}');
    const { rowCount } = await pool.query('INSERT INTO processed_messages (message_id) VALUES ($1) ON CONFLICT DO NOTHING', [message.MessageId]);
    if (rowCount === 0) return message;
    await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [deposit.amount, deposit.accountId]);
    return message;
  },
});
`;

for (const mode of MODES) {
  describe(`crash timeline (${mode})`, () => {
    let project: TestProject;
    let count = 0;
    before(() => {
      project = new TestProject(mode, 'timeline');
    });
    after(() => project.remove());

    /** The single consumer of `code`, analysed. */
    function analyse(code: string): ConsumerReport {
      const [file] = project.write({ [`src/consumer${count++}.ts`]: code });
      const result = project.analyze([file]);
      assert.equal(result.consumers.length, 1, `expected one consumer, got ${result.consumers.length}`);
      const consumer = result.consumers[0];
      assert.ok(consumer.timeline, 'the report carries its timeline');
      // Derived from the report alone: recomputing it gives the same timeline.
      assert.deepEqual(crashTimeline(consumer), consumer.timeline);
      // The server's reports defer it to the first feature that reads it: the same paths and timeline.
      const [deferred] = project.analyze([file], configWith(), { timelines: 'deferred' }).consumers;
      assert.equal(deferred.timeline, undefined, 'not derived before it is asked for');
      assert.deepEqual(ensureTimeline(deferred), consumer.timeline);
      assert.deepEqual(
        { paths: deferred.paths, sampled: deferred.pathsSampled, timeline: deferred.timeline },
        { paths: consumer.paths, sampled: consumer.pathsSampled, timeline: consumer.timeline },
      );
      return consumer;
    }

    test('explicit ack after the work, no guard: a crash before the ack repeats what completed; after it, nothing', () => {
      const { timeline } = analyse(AMQP_ACK_LAST);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'effect Stripe charges.create | duplicate / duplicate',
        'effect INSERT INTO receipts | duplicate / duplicate',
        'settle channel.ack() | safe / -',
      ]);
      assert.deepEqual(labels(timeline!.points[1].crash), { duplicates: ['Stripe charges.create'], lost: [] });
      assert.deepEqual(labels(timeline!.points[2].crash), {
        duplicates: ['Stripe charges.create', 'INSERT INTO receipts'],
        lost: [],
      });
      assert.equal(timeline!.points[1].crash.redelivered, true);
      assert.equal(timeline!.points[1].crash.summary, 'Stripe charges.create runs twice');
      // An error in the INSERT escapes the handler: unsettled, redelivered, the charge repeats.
      assert.match(timeline!.points[1].error!.explanation, /escapes the handler/);
      assert.equal(timeline!.points[3].crash.redelivered, false);
      assert.equal(timeline!.concurrency.kind, 'duplicate');
      assert.deepEqual(timeline!.worst, {
        kind: 'duplicate',
        point: 2,
        cause: 'crash',
        summary: 'Stripe charges.create and INSERT INTO receipts run twice',
      });
      // The steps link to their code lines.
      assert.deepEqual(
        timeline!.steps.map((step) => step.location?.line),
        [10, 13, 14, 15],
      );
    });

    test('ack first: a crash after the ack loses the work that had not happened yet', () => {
      const { timeline } = analyse(AMQP_ACK_FIRST);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'settle channel.ack() | lost / lost',
        'effect Stripe charges.create | lost / lost',
        'effect INSERT INTO receipts | safe / -',
      ]);
      assert.deepEqual(labels(timeline!.points[1].crash), {
        duplicates: [],
        lost: ['Stripe charges.create', 'INSERT INTO receipts'],
      });
      assert.deepEqual(labels(timeline!.points[2].crash), { duplicates: [], lost: ['INSERT INTO receipts'] });
      assert.equal(timeline!.points[1].crash.redelivered, false);
      assert.match(
        timeline!.points[1].crash.explanation,
        /^Already settled \(channel\.ack\(\) on line 12 settled it\): no redelivery/,
      );
      assert.equal(timeline!.worst.kind, 'lost');
      assert.equal(timeline!.worst.summary, 'Stripe charges.create and INSERT INTO receipts never happen');
    });

    test('implicit ack after return (kafkajs): settled by the return; work left running is lost after it', () => {
      const { timeline } = analyse(KAFKA_IMPLICIT);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'effect INSERT INTO audit_log | duplicate / duplicate',
        'effect sendMail (email) | duplicate / -',
        'return return (kafkajs acks) | lost / -',
      ]);
      assert.equal(timeline!.steps[2].unawaited, true);
      // Not awaited: it runs twice only if it had finished, and is lost only if it had not.
      assert.deepEqual(
        timeline!.points[2].crash.duplicates.map((item) => [item.label, item.uncertain ?? false]),
        [
          ['INSERT INTO audit_log', false],
          ['sendMail (email)', true],
        ],
      );
      assert.deepEqual(
        timeline!.points[3].crash.lost.map((item) => [item.label, item.uncertain ?? false]),
        [['sendMail (email)', true]],
      );
      assert.match(timeline!.points[3].crash.explanation, /the handler returned, so kafkajs acked it/);
      assert.equal(timeline!.worst.kind, 'lost');
    });

    test('implicit ack after return (sqs-consumer): the return deletes the message it returns', () => {
      const { timeline, registration } = analyse(SQS_RETURNS('return message;'));
      const last = timeline!.steps[timeline!.steps.length - 1];
      assert.equal(last.kind, 'return');
      assert.deepEqual(table(timeline!).slice(1, 2), [
        'effect HTTP POST https://fulfilment.example.com/orders | duplicate / -',
      ]);
      assert.equal(timeline!.points[timeline!.points.length - 1].crash.kind, 'safe');
      assert.equal(timeline!.points[timeline!.points.length - 1].crash.redelivered, false);
      if (registration.settlesByReturn) {
        // sqs-consumer 14+: a handler that resolves without the message never deletes it.
        const kept = analyse(SQS_RETURNS('return;')).timeline!;
        assert.match(kept.steps[kept.steps.length - 1].label, /without the message/);
        assert.equal(kept.points[kept.points.length - 1].crash.kind, 'duplicate');
        assert.ok(kept.notes.some((note) => /never settles/.test(note)));
      }
    });

    test('auto-ack on delivery (noAck: true): settled at receive, so every crash loses the rest', () => {
      const { timeline } = analyse(AMQP_NO_ACK);
      assert.deepEqual(table(timeline!), [
        'receive receive (amqplib acks it on delivery) | lost / lost',
        'effect redis incr | lost / lost',
        'effect sendMail (email) | safe / -',
      ]);
      assert.deepEqual(labels(timeline!.points[0].crash), { duplicates: [], lost: ['redis incr', 'sendMail (email)'] });
      assert.ok(timeline!.points.every((point) => !point.crash.redelivered));
      assert.equal(timeline!.concurrency.kind, 'not-applicable');
      assert.deepEqual(timeline!.worst, {
        kind: 'lost',
        point: 0,
        cause: 'crash',
        summary: 'redis incr and sendMail (email) never happen',
      });
    });

    test('Kafka transaction (consume-transform-produce): output and offsets commit together; a write outside it repeats', () => {
      const { timeline } = analyse(KAFKA_TRANSACTION);
      const kinds = timeline!.steps.map((step) => step.kind);
      assert.deepEqual(kinds, ['receive', 'effect', 'effect', 'settle', 'commit']);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'effect Kafka transactional send → orders.enriched | safe / safe',
        'effect UPDATE order_stats (relative) | duplicate / duplicate',
        'settle transaction.sendOffsets() | duplicate / duplicate',
        'commit commit (transaction) | safe / -',
      ]);
      const [, send, update, offsets, commit] = timeline!.steps;
      // The send and the offsets are in the transaction; the SQL write is not.
      assert.equal(send.transaction, commit.transaction);
      assert.equal(offsets.transaction, commit.transaction);
      assert.equal(update.transaction, undefined);
      // A crash after the send but before the commit aborts it: the redelivery produces it once.
      assert.match(
        timeline!.points[1].crash.explanation,
        /Kafka transactional send → orders\.enriched is rolled back with the transaction/,
      );
      // The offsets count only once the transaction commits.
      assert.equal(timeline!.points[3].crash.redelivered, true);
      assert.equal(timeline!.points[4].crash.redelivered, false);
      assert.match(timeline!.points[4].crash.explanation, /transaction\.sendOffsets\(\) committed with transaction/);
      assert.deepEqual(labels(timeline!.points[3].crash), { duplicates: ['UPDATE order_stats (relative)'], lost: [] });
    });

    test('a database transaction by callback: its writes roll back together until it commits', () => {
      const { timeline } = analyse(PRISMA_TRANSACTION);
      assert.deepEqual(
        timeline!.steps.map((step) => step.kind),
        ['receive', 'effect', 'effect', 'commit', 'settle'],
      );
      assert.deepEqual(
        timeline!.points.map((point) => point.crash.kind),
        ['safe', 'safe', 'safe', 'duplicate', 'safe'],
      );
      assert.equal(timeline!.points[3].crash.duplicates.length, 2);
      assert.match(timeline!.steps[3].label, /^commit \(prisma\.\$transaction\(…\)\)$/);
    });

    test('check-then-record (Redis EXISTS, SET after the work): repeats until recorded, and two copies race past the check', () => {
      const { timeline } = analyse(REDIS_CHECK_THEN_RECORD);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'guard redis exists | safe / safe',
        'effect Stripe charges.create | duplicate / duplicate',
        'effect sendMail (email) | duplicate / duplicate',
        'record redis set | safe / safe',
        'settle channel.ack() | safe / -',
      ]);
      assert.equal(timeline!.steps[1].detail, 'check (then record)');
      assert.deepEqual(labels(timeline!.points[3].crash), {
        duplicates: ['Stripe charges.create', 'sendMail (email)'],
        lost: [],
      });
      assert.match(
        timeline!.points[3].crash.explanation,
        /The check redis exists passes again \(redis set had not recorded the message yet\)/,
      );
      assert.match(
        timeline!.points[4].crash.explanation,
        /finds the record redis set wrote, so the redelivery takes the "seen" path, which settles it/,
      );
      // The charge fails: the catch requeues it, and nothing had completed.
      assert.match(timeline!.points[1].error!.explanation, /The catch on line \d+ requeues it \(channel\.nack\(\)\)/);
      assert.deepEqual(labels(timeline!.points[2].error), { duplicates: ['Stripe charges.create'], lost: [] });
      assert.equal(timeline!.concurrency.kind, 'duplicate');
      assert.match(timeline!.concurrency.text, /can both pass redis exists before either records the message/);
    });

    test('claim with a short lease, released on failure: an error retries cleanly, a crash is skipped while the lease holds', () => {
      const { timeline } = analyse(REDIS_CLAIM_RELEASED);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'guard redis SET NX | lost / safe',
        'effect Stripe charges.create | lost / duplicate',
        'effect INSERT INTO ledger_entries | safe / safe',
        'record redis set | safe / -',
        'return return (kafkajs acks) | safe / -',
      ]);
      assert.equal(timeline!.steps[1].detail, 'claim, 300 s lease');
      assert.equal(timeline!.steps[4].detail, 'marks the claim done');
      // Crash: the claim outlives the process; the redelivery (within the lease) is skipped and acked.
      assert.deepEqual(labels(timeline!.points[1].crash), {
        duplicates: [],
        lost: ['Stripe charges.create', 'INSERT INTO ledger_entries'],
      });
      assert.match(
        timeline!.points[1].crash.explanation,
        /is still held \(for its 300 s lease\), so the redelivery takes the "seen" path, which settles it/,
      );
      assert.match(
        timeline!.points[2].crash.explanation,
        /Only a redelivery after the 300 s lease would process it again, repeating Stripe charges\.create/,
      );
      // Error: the catch releases the claim and rethrows, so the retry runs; what had completed runs again.
      assert.match(timeline!.points[1].error!.explanation, /The catch on line \d+ releases redis SET NX and rethrows/);
      assert.deepEqual(labels(timeline!.points[1].error), { duplicates: [], lost: [] });
      assert.deepEqual(labels(timeline!.points[2].error), { duplicates: ['Stripe charges.create'], lost: [] });
      // The done mark is outside the try: its failure escapes with the claim still held.
      assert.match(timeline!.points[3].error!.explanation, /escapes the handler/);
      assert.equal(timeline!.points[4].crash.kind, 'safe');
      assert.match(timeline!.points[4].crash.explanation, /marked done/);
      // Atomic: two copies cannot both win the claim.
      assert.equal(timeline!.concurrency.kind, 'safe');
      assert.match(timeline!.concurrency.text, /only one copy wins redis SET NX/);
      assert.equal(timeline!.worst.kind, 'lost');
    });

    test('claim whose "seen" path requeues: turned away until the lease expires, then processed again', () => {
      const { timeline } = analyse(REDIS_CLAIM_REQUEUED);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'guard redis SET NX | safe / safe',
        'effect Stripe charges.create | duplicate / duplicate',
        'record redis set | safe / safe',
        'settle channel.ack() | safe / -',
      ]);
      assert.match(
        timeline!.points[2].crash.explanation,
        /turned away unsettled until it expires, then the message is processed again/,
      );
      assert.match(timeline!.points[3].crash.explanation, /keeps coming back/);
    });

    test('inbox row in the same transaction as the writes: every crash point is safe', () => {
      const { timeline } = analyse(SQL_INBOX);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'guard INSERT INTO processed_events … ON CONFLICT | safe / safe',
        'effect UPDATE wallets (relative) | safe / safe',
        'effect INSERT INTO wallet_ledger | safe / safe',
        'commit commit (db transaction) | safe / -',
        'return return (kafkajs acks) | safe / -',
      ]);
      const [, claim, update, insert, commit] = timeline!.steps;
      assert.equal(claim.detail, 'claim, in db transaction');
      assert.ok(
        claim.transaction &&
          claim.transaction === update.transaction &&
          update.transaction === insert.transaction &&
          insert.transaction === commit.transaction,
      );
      assert.equal(commit.location?.line, 22, 'the commit step links to the COMMIT');
      assert.match(timeline!.points[3].crash.explanation, /rolled back with the transaction/);
      assert.match(timeline!.points[4].crash.explanation, /is still held \(committed\)/);
      assert.equal(timeline!.concurrency.kind, 'safe');
      assert.match(timeline!.concurrency.text, /waits on the unique key until the first transaction ends/);
      assert.deepEqual(timeline!.worst, { kind: 'safe', summary: 'nothing runs twice or is lost' });
    });

    test('inbox in a transaction covers only what is in it: a charge before the COMMIT repeats, a publish after it is lost', () => {
      const { timeline } = analyse(SQL_INBOX_WITH_OUTSIDE_EFFECTS);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'guard INSERT INTO processed_events … ON CONFLICT | safe / safe',
        'effect UPDATE wallets (relative) | safe / safe',
        'effect Stripe charges.create | duplicate / duplicate',
        'commit commit (db transaction) | lost / lost',
        'effect SQS SendMessage → wallet-events | safe / -',
        'return return (kafkajs acks) | safe / -',
      ]);
      assert.equal(timeline!.steps[3].transaction, undefined, 'the charge is not part of the database transaction');
      assert.deepEqual(labels(timeline!.points[3].crash), { duplicates: ['Stripe charges.create'], lost: [] });
      assert.deepEqual(labels(timeline!.points[4].crash), {
        duplicates: [],
        lost: ['SQS SendMessage → wallet-events'],
      });
      // The COMMIT fails: the catch rolls back and rethrows; the charge has happened and happens again.
      assert.match(timeline!.points[3].error!.explanation, /The catch on line \d+ rethrows/);
    });

    test('a claim outside the transaction that is never released loses the message on a crash after it', () => {
      const { timeline } = analyse(SQL_CLAIM_OUTSIDE_TRANSACTION);
      assert.deepEqual(table(timeline!), [
        'receive receive | safe / safe',
        'guard INSERT INTO processed_messages … ON CONFLICT | lost / lost',
        'effect UPDATE accounts (relative) | safe / -',
        'return return (sqs-consumer acks) | safe / -',
      ]);
      assert.deepEqual(labels(timeline!.points[1].crash), { duplicates: [], lost: ['UPDATE accounts (relative)'] });
      assert.match(timeline!.points[1].crash.explanation, /still held \(no expiry found\)/);
    });
  });
}

test('worstOutcome ranks lost over duplicate over safe, then by the number of effects', () => {
  const ref = (label: string, step: number) => ({ effectId: step, label, step });
  const outcome = (kind: CrashOutcome['kind'], refs: number, summary: string): CrashOutcome => ({
    kind,
    redelivered: kind !== 'lost',
    duplicates: kind === 'duplicate' ? Array.from({ length: refs }, (_, index) => ref(`e${index}`, index)) : [],
    lost: kind === 'lost' ? Array.from({ length: refs }, (_, index) => ref(`e${index}`, index)) : [],
    summary,
    explanation: '',
  });
  const safe = outcome('safe', 0, 'nothing runs twice or is lost');
  assert.deepEqual(worstOutcome({ points: [{ after: 0, crash: safe }] }), {
    kind: 'safe',
    summary: 'nothing runs twice or is lost',
  });
  const points = [
    { after: 0, before: 1, crash: outcome('duplicate', 2, 'two run twice') },
    { after: 1, before: 2, crash: safe, error: outcome('lost', 1, 'one is lost') },
    { after: 2, before: 3, crash: outcome('duplicate', 3, 'three run twice') },
  ];
  assert.deepEqual(worstOutcome({ points }), { kind: 'lost', point: 1, cause: 'error', summary: 'one is lost' });
  assert.deepEqual(worstOutcome({ points: [points[0], points[2]] }), {
    kind: 'duplicate',
    point: 1,
    cause: 'crash',
    summary: 'three run twice',
  });
});
