/**
 * Effect-level quick-fixes of missing-event-id-check (docs/rules/missing-event-id-check.md): make one effect
 * idempotent with a key derived from the message: a Stripe idempotencyKey, a conflict-ignoring
 * insert (raw SQL, knex, Drizzle), a BullMQ jobId, an SQS MessageDeduplicationId. Applying the
 * fix for every unsafe effect of the handler makes the finding go away.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Finding, FixSuggestion } from '../../server/src/model';
import { MODES, TestProject, applyFix, findingsOf } from '../helpers/project';
import { assertCrlfAndTabs, indentWidthOf, withCrlfAndTabs } from '../helpers/file-conventions';

const RULE = 'missing-event-id-check';

const TITLE = {
  stripe: 'Pass a Stripe idempotencyKey derived from the message',
  sql: 'Ignore duplicate inserts (ON CONFLICT (',
  knex: 'Ignore duplicate inserts (.onConflict(',
  drizzle: 'Ignore duplicate inserts (.onConflictDoNothing()',
  bullmq: 'Give the BullMQ job a jobId derived from the message',
  sqs: 'Set MessageDeduplicationId from the message',
} as const;

/** Every effect-level fix title starts with one of these. */
const EFFECT_LEVEL = Object.values(TITLE);

// ---- fixtures --------------------------------------------------------------------------------

const STRIPE_KAFKA = `import { Kafka } from 'kafkajs';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');
const consumer = new Kafka({ clientId: 'payments', brokers: ['kafka:9092'] }).consumer({ groupId: 'charger' });

export async function chargeOrders() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'order.placed' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { amountCents: number; stripeCustomerId: string };
      await stripe.charges.create({ amount: order.amountCents, currency: 'eur', customer: order.stripeCustomerId });
    },
  });
}
`;

const STRIPE_AMQP_OPTIONS = `import amqp from 'amqplib';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export async function consumePayouts() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('payouts', async (msg) => {
    if (!msg) return;
    const payout = JSON.parse(msg.content.toString()) as { connectedAccount: string; amountCents: number };
    await stripe.transfers.create(
      { amount: payout.amountCents, currency: 'eur', destination: payout.connectedAccount },
      {
        stripeAccount: process.env.PLATFORM_ACCOUNT,
      },
    );
    channel.ack(msg);
  });
}
`;

const STRIPE_AMQP_RANDOM_KEY = `import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export async function processRefunds() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('refunds', async (msg) => {
    if (!msg) return;
    const refund = JSON.parse(msg.content.toString()) as { paymentIntentId: string; amountCents: number };
    await stripe.refunds.create({ payment_intent: refund.paymentIntentId, amount: refund.amountCents }, { idempotencyKey: randomUUID() });
    channel.ack(msg);
  });
}
`;

const STRIPE_SQS = `import { Consumer } from 'sqs-consumer';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export const charges = Consumer.create({
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/charges',
  handleMessage: async (message) => {
    const charge = JSON.parse(message.Body ?? '{}') as { customerId: string; amountCents: number };
    await stripe.paymentIntents.create({ amount: charge.amountCents, currency: 'usd', customer: charge.customerId, confirm: true });
    return message;
  },
});
`;

const SQL_KAFKA = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger-writer' });

export async function run() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number };
      await pool.query('INSERT INTO ledger_entries (reference, account_id, amount_cents) VALUES ($1, $2, $3)', [
        \`\${topic}:\${partition}:\${message.offset}\`,
        payment.accountId,
        payment.amountCents,
      ]);
    },
  });
}
`;

const SQL_KAFKA_MESSAGE_ONLY = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'metering', brokers: ['kafka:9092'] }).consumer({ groupId: 'meter-readings' });

export async function ingest() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'meter.readings' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const reading = JSON.parse(message.value!.toString()) as { readingId: string; meterId: string; kwh: number };
      await pool.query('INSERT INTO meter_readings (reading_id, meter_id, kwh) VALUES ($1, $2, $3)', [reading.readingId, reading.meterId, reading.kwh]);
    },
  });
}
`;

const SQL_AMQP_RETURNING = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function consumeOrders() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { customerId: string; totalCents: number };
    const { rows } = await pool.query('INSERT INTO orders (source_message_id, customer_id, total_cents) VALUES ($1, $2, $3) RETURNING id;', [
      msg.properties.messageId,
      order.customerId,
      order.totalCents,
    ]);
    console.log(\`order \${rows[0]?.id} stored\`);
    channel.ack(msg);
  });
}
`;

const SQL_SQS_TWO_INSERTS = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const signups = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/signups',
  handleMessage: async (message) => {
    const signup = JSON.parse(message.Body ?? '{}') as { email: string; plan: string };
    await pool.query(\`
      INSERT INTO accounts (source_message_id, email, plan)
      VALUES ($1, $2, $3)
    \`, [message.MessageId, signup.email, signup.plan]);
    await pool.query('INSERT INTO signup_audit (source_message_id, email) VALUES ($1, $2)', [message.MessageId, signup.email]);
    return message;
  },
});
`;

const KNEX_SQS = `import { Consumer } from 'sqs-consumer';
import knexFactory from 'knex';

const db = knexFactory({ client: 'pg', connection: process.env.DATABASE_URL });

export const shipments = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shipment-labels',
  handleMessage: async (message) => {
    const label = JSON.parse(message.Body ?? '{}') as { orderId: string; carrier: string };
    await db('shipment_labels').insert({ order_id: label.orderId, carrier: label.carrier });
    return message;
  },
});
`;

const DRIZZLE_SCHEMA = `import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';

export const orders = pgTable('orders', {
  id: uuid('id').primaryKey().defaultRandom(),
  customerId: text('customer_id').notNull(),
  totalCents: integer('total_cents').notNull(),
});
`;

const DRIZZLE_KAFKA = `import { Kafka } from 'kafkajs';
import { drizzle } from 'drizzle-orm/node-postgres';
import { orders } from './schema';

const db = drizzle(process.env.DATABASE_URL!);
const consumer = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] }).consumer({ groupId: 'order-writer' });

export async function storeOrders() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'order.submitted' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { customerId: string; totalCents: number };
      console.debug(\`storing order from \${topic}/\${partition}\`);
      await db.insert(orders).values({ customerId: order.customerId, totalCents: order.totalCents });
    },
  });
}
`;

const DRIZZLE_RETURNING_AMQP = `import amqp from 'amqplib';
import { drizzle } from 'drizzle-orm/node-postgres';
import { orders } from './schema';

const db = drizzle(process.env.DATABASE_URL!);

export async function consumeOrders() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { customerId: string; totalCents: number };
    const [stored] = await db.insert(orders).values({ customerId: order.customerId, totalCents: order.totalCents }).returning({ id: orders.id });
    console.log(\`stored order \${stored?.id}\`);
    channel.ack(msg);
  });
}
`;

const BULLMQ_AMQP = `import amqp from 'amqplib';
import { Queue } from 'bullmq';

const thumbnails = new Queue('thumbnails', { connection: { host: 'redis', port: 6379 } });

export async function consumeUploads() {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('uploads', async (msg) => {
    if (!msg) return;
    const upload = JSON.parse(msg.content.toString()) as { imageId: string; bucket: string };
    await thumbnails.add('render', upload);
    channel.ack(msg);
  });
}
`;

const BULLMQ_SQS_OPTIONS = `import { Consumer } from 'sqs-consumer';
import { Queue } from 'bullmq';

const exportJobs = new Queue('exports', { connection: { host: 'redis', port: 6379 } });

export const exportRequests = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/export-requests',
  handleMessage: async (message) => {
    const request = JSON.parse(message.Body ?? '{}') as { accountId: string; format: string };
    await exportJobs.add('export', request, { attempts: 3, removeOnComplete: true });
    return message;
  },
});
`;

const SQS_FIFO_FORWARD = `import { Consumer } from 'sqs-consumer';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({ region: 'eu-west-1' });

export const router = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-in',
  sqs,
  handleMessage: async (message) => {
    const order = JSON.parse(message.Body ?? '{}') as { customerId: string };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/fulfilment.fifo',
        MessageBody: message.Body ?? '',
        MessageGroupId: order.customerId,
      }),
    );
    return message;
  },
});
`;

const SQS_STANDARD_FORWARD = `import { Consumer } from 'sqs-consumer';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({ region: 'eu-west-1' });

export const fulfilment = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/paid-orders',
  sqs,
  handleMessage: async (message) => {
    const order = JSON.parse(message.Body ?? '{}') as { orderId: string; warehouse: string };
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/shipping',
        MessageBody: JSON.stringify({ orderId: order.orderId, warehouse: order.warehouse }),
      }),
    );
    return message;
  },
});
`;

const HELPER_BILLING = `import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY ?? '');

export async function chargeCustomer(customerId: string, amountCents: number) {
  return stripe.paymentIntents.create({ amount: amountCents, currency: 'usd', customer: customerId, confirm: true });
}
`;

const HELPER_CONSUMER = `import { Consumer } from 'sqs-consumer';
import { chargeCustomer } from './billing';

export const renewals = Consumer.create({
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/renewals',
  handleMessage: async (message) => {
    const renewal = JSON.parse(message.Body ?? '{}') as { customerId: string; priceCents: number };
    await chargeCustomer(renewal.customerId, renewal.priceCents);
    return message;
  },
});
`;

// ---- helpers -----------------------------------------------------------------------------------

function fixTitled(finding: Finding, title: string): FixSuggestion[] {
  return finding.fixes.filter((fix) => fix.title.startsWith(title));
}

for (const mode of MODES) {
  describe(`missing-event-id-check effect-level fixes (${mode})`, () => {
    let project: TestProject;
    let counter = 0;

    before(() => {
      project = new TestProject(mode, 'effect-fixes');
    });
    after(() => project?.remove());

    function setup(code: string, files: Record<string, string> = {}) {
      const folder = `case-${counter++}`;
      const written = project.write(
        Object.fromEntries(
          Object.entries({ 'consumer.ts': code, ...files }).map(([name, text]) => [`${folder}/${name}`, text]),
        ),
      );
      const file = written[0];
      const relative = `${folder}/consumer.ts`;
      const analyze = () => project.analyze([file]);
      const first = analyze();
      assert.deepEqual(first.problems, []);
      const findings = findingsOf(first, RULE, file);
      assert.equal(findings.length, 1, `one ${RULE} finding before the fix`);
      return { file, relative, analyze, finding: findings[0], errorsBefore: first.semanticErrors(file), code, files };
    }

    /** The same case written with CRLF line endings and tabs: the fix keeps both and leaves what it leaves in the LF file. */
    function assertKeepsFileConventions(setupResult: ReturnType<typeof setup>, title: string, left: number): void {
      const width = indentWidthOf(setupResult.code);
      const copy = setup(
        withCrlfAndTabs(setupResult.code, width),
        Object.fromEntries(
          Object.entries(setupResult.files).map(([name, text]) => [name, withCrlfAndTabs(text, width)]),
        ),
      );
      applyFix(fixTitled(copy.finding, title)[0]);
      assertCrlfAndTabs(project.read(copy.relative), `after '${title}'`);
      assert.equal(
        findingsOf(copy.analyze(), RULE, copy.file).length,
        left,
        'the same findings are left as in the LF file',
      );
    }

    /** Applies the single fix with this title, re-analyses, and returns the new text and result. */
    function applyOnly(setupResult: ReturnType<typeof setup>, title: string) {
      const fixes = fixTitled(setupResult.finding, title);
      assert.equal(
        fixes.length,
        1,
        `one '${title}…' fix, got: ${setupResult.finding.fixes.map((fix) => fix.title).join(' | ')}`,
      );
      assert.equal(fixes[0].safe, false, 'changes behaviour: offered, never auto-applied');
      assert.notEqual(fixes[0].preferred, true, 'the dedup guard of the configured strategy is the preferred fix');
      applyFix(fixes[0]);
      const result = setupResult.analyze();
      const text = project.read(setupResult.relative);
      assertKeepsFileConventions(setupResult, title, findingsOf(result, RULE, setupResult.file).length);
      return { text, result };
    }

    function assertResolved(setupResult: ReturnType<typeof setup>, result: ReturnType<TestProject['analyze']>): void {
      assert.deepEqual(result.problems, []);
      const left = result.findings.filter((finding) => finding.location.filePath === setupResult.file);
      assert.deepEqual(
        left.map((finding) => `${finding.ruleId}:${finding.location.line} ${finding.message}`),
        [],
        'the finding is gone and no other appears',
      );
      if (mode === 'typed') {
        const errors = result.semanticErrors(setupResult.file);
        assert.ok(errors.length <= setupResult.errorsBefore.length, `new type errors: ${errors.join(' / ')}`);
      }
    }

    // ---- Stripe ----

    test('kafkajs Stripe charges.create: adds an options argument with an idempotencyKey from topic/partition/offset', () => {
      const s = setup(STRIPE_KAFKA);
      const { text, result } = applyOnly(s, TITLE.stripe);
      assert.ok(
        text.includes(
          "await stripe.charges.create({ amount: order.amountCents, currency: 'eur', customer: order.stripeCustomerId }, { idempotencyKey: `charges-create-${topic}:${partition}:${message.offset}` });",
        ),
        text,
      );
      assertResolved(s, result);
    });

    test('amqplib Stripe transfers.create: adds idempotencyKey to the existing multi-line options object', () => {
      const s = setup(STRIPE_AMQP_OPTIONS);
      const { text, result } = applyOnly(s, TITLE.stripe);
      assert.ok(
        text.includes(`      {
        stripeAccount: process.env.PLATFORM_ACCOUNT,
        idempotencyKey: \`transfers-create-\${msg.properties.messageId}\`,
      },`),
        text,
      );
      assertResolved(s, result);
    });

    test('amqplib Stripe refunds.create with idempotencyKey: randomUUID(): the fix replaces the fresh key', () => {
      const s = setup(STRIPE_AMQP_RANDOM_KEY);
      assert.match(s.finding.message, /made fresh per delivery/);
      const { text, result } = applyOnly(s, TITLE.stripe);
      const call = text.slice(text.indexOf('stripe.refunds.create('), text.indexOf('channel.ack(msg);'));
      assert.equal(call.match(/idempotencyKey/g)?.length, 1, `one idempotencyKey property:\n${call}`);
      assert.ok(!call.includes('randomUUID()'), `the fresh key is gone:\n${call}`);
      assert.match(call, /idempotencyKey: `[\w-]+\$\{msg\.properties\.messageId\}`/);
      assertResolved(s, result);
    });

    test('sqs-consumer Stripe paymentIntents.create: idempotencyKey from MessageId', () => {
      const s = setup(STRIPE_SQS);
      const { text, result } = applyOnly(s, TITLE.stripe);
      assert.match(text, /confirm: true \}, \{ idempotencyKey: `[\w-]+-\$\{message\.MessageId\}` \}\);/);
      assertResolved(s, result);
    });

    test('an effect in a helper of another file gets no effect-level fix (the message is not in scope there)', () => {
      const s = setup(HELPER_CONSUMER, { 'billing.ts': HELPER_BILLING });
      const offered = s.finding.fixes.filter((fix) => EFFECT_LEVEL.some((title) => fix.title.startsWith(title)));
      assert.deepEqual(
        offered.map((fix) => fix.title),
        [],
      );
      assert.ok(s.finding.fixes.length > 0, 'the dedup-guard fixes are still offered');
    });

    // ---- conflict-ignoring inserts ----

    test('kafkajs raw INSERT: appends ON CONFLICT DO NOTHING inside the string', () => {
      const s = setup(SQL_KAFKA);
      const { text, result } = applyOnly(s, TITLE.sql);
      assert.ok(
        text.includes(
          "await pool.query('INSERT INTO ledger_entries (reference, account_id, amount_cents) VALUES ($1, $2, $3) ON CONFLICT (reference) DO NOTHING', [",
        ),
        text,
      );
      assertResolved(s, result);
    });

    test('kafkajs ({ message }) raw INSERT: the ON CONFLICT fix needs no identity expression and is offered', () => {
      const s = setup(SQL_KAFKA_MESSAGE_ONLY);
      const { text, result } = applyOnly(s, TITLE.sql);
      assert.ok(
        text.includes(
          "'INSERT INTO meter_readings (reading_id, meter_id, kwh) VALUES ($1, $2, $3) ON CONFLICT (reading_id) DO NOTHING'",
        ),
        text,
      );
      assertResolved(s, result);
    });

    test('amqplib raw INSERT … RETURNING id; puts ON CONFLICT DO NOTHING before RETURNING', () => {
      const s = setup(SQL_AMQP_RETURNING);
      const { text, result } = applyOnly(s, TITLE.sql);
      assert.ok(
        text.includes(
          "await pool.query('INSERT INTO orders (source_message_id, customer_id, total_cents) VALUES ($1, $2, $3) ON CONFLICT (source_message_id) DO NOTHING RETURNING id', [",
        ),
        text,
      );
      assertResolved(s, result);
    });

    test('sqs-consumer two INSERTs (one a template literal): one fix each, both applied clear the finding', () => {
      let s = setup(SQL_SQS_TWO_INSERTS);
      assert.equal(fixTitled(s.finding, TITLE.sql).length, 2, 'one conflict fix per INSERT');
      applyFix(fixTitled(s.finding, TITLE.sql)[0]);
      let result = s.analyze();
      const remaining = findingsOf(result, RULE, s.file);
      assert.equal(remaining.length, 1, 'one INSERT is still unsafe');
      s = { ...s, finding: remaining[0], code: project.read(s.relative) };
      const second = applyOnly(s, TITLE.sql);
      result = second.result;
      assert.match(second.text, /VALUES \(\$1, \$2, \$3\) ON CONFLICT \(source_message_id\) DO NOTHING/);
      assert.ok(
        second.text.includes(
          "'INSERT INTO signup_audit (source_message_id, email) VALUES ($1, $2) ON CONFLICT (source_message_id) DO NOTHING'",
        ),
        second.text,
      );
      assertResolved(s, result);
    });

    test("sqs-consumer knex insert: appends .onConflict('order_id').ignore()", () => {
      const s = setup(KNEX_SQS);
      const { text, result } = applyOnly(s, TITLE.knex);
      assert.ok(
        text.includes(
          "await db('shipment_labels').insert({ order_id: label.orderId, carrier: label.carrier }).onConflict('order_id').ignore();",
        ),
        text,
      );
      assertResolved(s, result);
    });

    test('kafkajs drizzle insert(...).values(...): appends .onConflictDoNothing()', () => {
      const s = setup(DRIZZLE_KAFKA, { 'schema.ts': DRIZZLE_SCHEMA });
      const { text, result } = applyOnly(s, TITLE.drizzle);
      assert.ok(
        text.includes(
          'await db.insert(orders).values({ customerId: order.customerId, totalCents: order.totalCents }).onConflictDoNothing();',
        ),
        text,
      );
      assertResolved(s, result);
    });

    test('amqplib drizzle insert(...).values(...).returning(...): adds onConflictDoNothing to the chain', () => {
      const s = setup(DRIZZLE_RETURNING_AMQP, { 'schema.ts': DRIZZLE_SCHEMA });
      const { text, result } = applyOnly(s, TITLE.drizzle);
      const statement = text.slice(text.indexOf('const [stored]'), text.indexOf('console.log'));
      assert.equal(statement.match(/\.onConflictDoNothing\(\)/g)?.length, 1, statement);
      assert.match(statement, /\.values\(\{[^}]*\}\)/);
      assertResolved(s, result);
    });

    // ---- BullMQ ----

    test('amqplib BullMQ add(name, data): adds { jobId } from the messageId', () => {
      const s = setup(BULLMQ_AMQP);
      const { text, result } = applyOnly(s, TITLE.bullmq);
      assert.ok(
        text.includes("await thumbnails.add('render', upload, { jobId: `job-${msg.properties.messageId}` });"),
        text,
      );
      assertResolved(s, result);
    });

    test('sqs-consumer BullMQ add(name, data, opts): adds jobId to the options', () => {
      const s = setup(BULLMQ_SQS_OPTIONS);
      const { text, result } = applyOnly(s, TITLE.bullmq);
      assert.ok(
        text.includes(
          "await exportJobs.add('export', request, { attempts: 3, removeOnComplete: true, jobId: `job-${message.MessageId}` });",
        ),
        text,
      );
      assertResolved(s, result);
    });

    // ---- SQS ----

    test('sqs-consumer SendMessageCommand to a FIFO queue: adds MessageDeduplicationId from MessageId', () => {
      const s = setup(SQS_FIFO_FORWARD);
      const { text, result } = applyOnly(s, TITLE.sqs);
      assert.ok(
        text.includes(`        MessageGroupId: order.customerId,
        MessageDeduplicationId: \`\${message.MessageId}\`,
      }),`),
        text,
      );
      assertResolved(s, result);
    });

    test('SendMessageCommand to a standard queue (static URL without .fifo): no MessageDeduplicationId fix, SQS would reject it', () => {
      const s = setup(SQS_STANDARD_FORWARD);
      assert.deepEqual(
        fixTitled(s.finding, TITLE.sqs).map((fix) => fix.title),
        [],
      );
    });
  });
}
