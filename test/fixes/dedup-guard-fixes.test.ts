/**
 * The missing-event-id-check quick-fixes that insert a dedup guard at the top of the handler
 * (docs/rules/missing-event-id-check.md): redis (SET NX lease), sql (inbox table in one transaction) and memory
 * (a Set, tests only). The configured guardStrategy is the preferred fix; the generated code
 * follows the file's style; redis and sql make the finding go away without new ones, the memory
 * guard does not count (docs/model.md, "Guards") so the finding stays and says why; it is not
 * offered again over itself, and a guard added over it declares fresh names (no TS2451).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Finding, FixSuggestion } from '../../server/src/model';
import type { GuardStrategy } from '../../server/src/config/resolved-config';
import { MODES, TestProject, applyFix, configWith, findingsOf } from '../helpers/project';
import { assertCrlfAndTabs, indentWidthOf, withCrlfAndTabs } from '../helpers/file-conventions';

const RULE = 'missing-event-id-check';
const STRATEGIES = ['redis', 'sql', 'memory'] as const;
type Strategy = (typeof STRATEGIES)[number];
const TITLES: Record<Strategy, string> = {
  redis: 'Add a Redis dedup guard',
  sql: 'Add an inbox-table dedup guard',
  memory: 'Add an in-memory dedup guard',
};

// ---- fixtures --------------------------------------------------------------------------------

/** kafkajs, 2-space indent, single quotes, semicolons. */
const KAFKA = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const kafka = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'ledger-writer' });
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export async function run(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (!message.value) return;
      const payment = JSON.parse(message.value.toString()) as { accountId: string; amountCents: number };
      await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
      console.log(\`ledger entry for \${payment.accountId}\`);
    },
  });
}
`;

/** kafkajs, 4-space indent, double quotes, no semicolons. */
const KAFKA_STYLE = `import { Kafka } from "kafkajs"
import { Pool } from "pg"

const kafka = new Kafka({ clientId: "ledger", brokers: ["kafka:9092"] })
const consumer = kafka.consumer({ groupId: "ledger-writer" })
const pool = new Pool()

export async function run() {
    await consumer.connect()
    await consumer.subscribe({ topic: "payments.captured" })
    await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
            const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number }
            await pool.query("INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)", [payment.accountId, payment.amountCents])
        },
    })
}
`;

/** amqplib with its own ioredis client and pg pool, explicit ack at the end. */
const AMQP = `import amqp from 'amqplib';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379');
const pool = new Pool();

export async function consumeDeposits(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('deposits', async (msg) => {
    if (!msg) return;
    const deposit = JSON.parse(msg.content.toString()) as { accountId: string; amount: number };
    await pool.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [deposit.amount, deposit.accountId]);
    await redis.incr('stats:deposits');
    channel.ack(msg);
  });
}
`;

/** amqplib, 4-space indent, double quotes, no semicolons. */
const AMQP_STYLE = `import amqp from "amqplib"
import nodemailer from "nodemailer"

const mailer = nodemailer.createTransport({ host: "smtp.example.com" })

export async function consumeReminders() {
    const connection = await amqp.connect("amqp://rabbit")
    const channel = await connection.createChannel()
    await channel.consume("reminders", async (msg) => {
        if (!msg) return
        const reminder = JSON.parse(msg.content.toString()) as { email: string; text: string }
        await mailer.sendMail({ to: reminder.email, subject: "Reminder", text: reminder.text })
        channel.ack(msg)
    })
}
`;

/** sqs-consumer 14: the handler returns the message so the library deletes it. */
const SQS = `import { Consumer } from 'sqs-consumer';
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    const receipt = JSON.parse(message.Body ?? '{}') as { email: string; totalCents: number };
    await transporter.sendMail({ to: receipt.email, subject: 'Your receipt', text: \`Total: \${receipt.totalCents / 100} EUR\` });
    return message;
  },
});

receipts.start();
`;

/** kafkajs destructuring only `message`, the most common form. */
const KAFKA_MESSAGE_ONLY = `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';

const redis = new Redis();
const consumer = new Kafka({ clientId: 'ads', brokers: ['kafka:9092'] }).consumer({ groupId: 'click-counter' });

export async function countClicks() {
  await consumer.connect();
  await consumer.subscribe({ topic: 'ad.clicked' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const click = JSON.parse(message.value!.toString()) as { campaignId: string };
      await redis.incr(\`clicks:\${click.campaignId}\`);
    },
  });
}
`;

/** sqs-consumer's fixture writes no database: there is nothing for an inbox transaction to hold, so no sql fix. */
const LIBRARIES = [
  { library: 'kafkajs', code: KAFKA, identity: '${topic}:${partition}:${message.offset}', sql: true },
  { library: 'amqplib', code: AMQP, identity: 'msg.properties.messageId', sql: true },
  { library: 'sqs-consumer', code: SQS, identity: 'message.MessageId', sql: false },
] as const;

/** sqs-consumer 14 with a pg write: the inbox applies. */
const SQS_PG = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    const receipt = JSON.parse(message.Body ?? '{}') as { email: string; totalCents: number };
    await pool.query('INSERT INTO receipts (email, total_cents) VALUES ($1, $2)', [receipt.email, receipt.totalCents]);
    return message;
  },
});

receipts.start();
`;

// ---- expected code -----------------------------------------------------------------------------

const KAFKA_REDIS = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import Redis from 'ioredis';
const dedupRedis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379');

const kafka = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'ledger-writer' });
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export async function run(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (!message.value) return;
      const payment = JSON.parse(message.value.toString()) as { accountId: string; amountCents: number };
      // Claim the message with a short lease: a crash mid-processing lets a redelivery retry it.
      const dedupKey = \`processed:ledger-writer:\${topic}:\${partition}:\${message.offset}\`;
      const claimed = await dedupRedis.set(dedupKey, 'processing', 'EX', 300, 'NX');
      if (!claimed) {
        // 'done': a duplicate. 'processing': another copy holds the claim (or crashed within the lease).
        if ((await dedupRedis.get(dedupKey)) !== 'done') throw new Error(\`\${dedupKey} is still being processed; retry later\`);
        return;
      }
      try {
        await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
        console.log(\`ledger entry for \${payment.accountId}\`);
        await dedupRedis.set(dedupKey, 'done', 'EX', 7 * 24 * 3600);
      } catch (error) {
        await dedupRedis.del(dedupKey); // release the claim so the redelivery can retry
        throw error;
      }
    },
  });
}
`;

/**
 * The inbox runs on a connection of the handler's own pool, and the handler's write moves onto it
 * (`pool.query` becomes `db.query`), inside the transaction; the moved statements sit one level
 * inside the `try`, like the BEGIN before them.
 */
const KAFKA_SQL = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const kafka = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'ledger-writer' });
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export async function run(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (!message.value) return;
      const payment = JSON.parse(message.value.toString()) as { accountId: string; amountCents: number };
      // Inbox pattern: the claim commits or rolls back with this handler's writes (needs a unique key on processed_events.event_id).
      const db = await pool.connect();
      try {
        await db.query('BEGIN');
        const { rowCount } = await db.query('INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING', [\`ledger-writer:\${topic}:\${partition}:\${message.offset}\`]);
        if (rowCount === 0) {
          await db.query('ROLLBACK');
          return;
        }
        await db.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
        console.log(\`ledger entry for \${payment.accountId}\`);
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

const KAFKA_MEMORY = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
// In-memory dedup, for tests only: it is empty again after a restart, so it does not
// protect against the redeliveries a crash causes. Use the redis or sql strategy in production.
const processedMessageIds = new Set<string>();

const kafka = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'ledger-writer' });
const pool = new Pool({ connectionString: process.env.DATABASE_URL });

export async function run(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      if (!message.value) return;
      const payment = JSON.parse(message.value.toString()) as { accountId: string; amountCents: number };
      const dedupKey = \`processed:ledger-writer:\${topic}:\${partition}:\${message.offset}\`;
      if (processedMessageIds.has(dedupKey)) return;
      processedMessageIds.add(dedupKey);
      await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [payment.accountId, payment.amountCents]);
      console.log(\`ledger entry for \${payment.accountId}\`);
    },
  });
}
`;

const KAFKA_STYLE_REDIS = `import { Kafka } from "kafkajs"
import { Pool } from "pg"
import Redis from "ioredis"
const dedupRedis = new Redis(process.env.REDIS_URL ?? "redis://localhost:6379")

const kafka = new Kafka({ clientId: "ledger", brokers: ["kafka:9092"] })
const consumer = kafka.consumer({ groupId: "ledger-writer" })
const pool = new Pool()

export async function run() {
    await consumer.connect()
    await consumer.subscribe({ topic: "payments.captured" })
    await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
            const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number }
            // Claim the message with a short lease: a crash mid-processing lets a redelivery retry it.
            const dedupKey = \`processed:ledger-writer:\${topic}:\${partition}:\${message.offset}\`
            const claimed = await dedupRedis.set(dedupKey, "processing", "EX", 300, "NX")
            if (!claimed) {
                // 'done': a duplicate. 'processing': another copy holds the claim (or crashed within the lease).
                if ((await dedupRedis.get(dedupKey)) !== "done") throw new Error(\`\${dedupKey} is still being processed; retry later\`)
                return
            }
            try {
                await pool.query("INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)", [payment.accountId, payment.amountCents])
                await dedupRedis.set(dedupKey, "done", "EX", 7 * 24 * 3600)
            } catch (error) {
                await dedupRedis.del(dedupKey) // release the claim so the redelivery can retry
                throw error
            }
        },
    })
}
`;

const KAFKA_STYLE_SQL = `import { Kafka } from "kafkajs"
import { Pool } from "pg"

const kafka = new Kafka({ clientId: "ledger", brokers: ["kafka:9092"] })
const consumer = kafka.consumer({ groupId: "ledger-writer" })
const pool = new Pool()

export async function run() {
    await consumer.connect()
    await consumer.subscribe({ topic: "payments.captured" })
    await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
            const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number }
            // Inbox pattern: the claim commits or rolls back with this handler's writes (needs a unique key on processed_events.event_id).
            const db = await pool.connect()
            try {
                await db.query("BEGIN")
                const { rowCount } = await db.query("INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING", [\`ledger-writer:\${topic}:\${partition}:\${message.offset}\`])
                if (rowCount === 0) {
                    await db.query("ROLLBACK")
                    return
                }
                await db.query("INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)", [payment.accountId, payment.amountCents])
                await db.query("COMMIT")
            } catch (error) {
                await db.query("ROLLBACK")
                throw error
            } finally {
                db.release()
            }
        },
    })
}
`;

const KAFKA_STYLE_MEMORY = `import { Kafka } from "kafkajs"
import { Pool } from "pg"
// In-memory dedup, for tests only: it is empty again after a restart, so it does not
// protect against the redeliveries a crash causes. Use the redis or sql strategy in production.
const processedMessageIds = new Set<string>()

const kafka = new Kafka({ clientId: "ledger", brokers: ["kafka:9092"] })
const consumer = kafka.consumer({ groupId: "ledger-writer" })
const pool = new Pool()

export async function run() {
    await consumer.connect()
    await consumer.subscribe({ topic: "payments.captured" })
    await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
            const payment = JSON.parse(message.value!.toString()) as { accountId: string; amountCents: number }
            const dedupKey = \`processed:ledger-writer:\${topic}:\${partition}:\${message.offset}\`
            if (processedMessageIds.has(dedupKey)) return
            processedMessageIds.add(dedupKey)
            await pool.query("INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)", [payment.accountId, payment.amountCents])
        },
    })
}
`;

/** amqplib: a duplicate is acked, then skipped. */
const AMQP_STYLE_MEMORY = `import amqp from "amqplib"
import nodemailer from "nodemailer"
import { createHash } from "node:crypto"
// In-memory dedup, for tests only: it is empty again after a restart, so it does not
// protect against the redeliveries a crash causes. Use the redis or sql strategy in production.
const processedMessageIds = new Set<string>()

const mailer = nodemailer.createTransport({ host: "smtp.example.com" })

export async function consumeReminders() {
    const connection = await amqp.connect("amqp://rabbit")
    const channel = await connection.createChannel()
    await channel.consume("reminders", async (msg) => {
        if (!msg) return
        const reminder = JSON.parse(msg.content.toString()) as { email: string; text: string }
        const dedupKey = \`processed:reminders:\${msg.properties.messageId ?? createHash("sha256").update(msg.content).digest("hex")}\`
        if (processedMessageIds.has(dedupKey)) {
            channel.ack(msg)
            return
        }
        processedMessageIds.add(dedupKey)
        await mailer.sendMail({ to: reminder.email, subject: "Reminder", text: reminder.text })
        channel.ack(msg)
    })
}
`;

/** sqs-consumer: a duplicate is returned, so sqs-consumer 14 deletes it. */
const SQS_MEMORY = `import { Consumer } from 'sqs-consumer';
import nodemailer from 'nodemailer';
// In-memory dedup, for tests only: it is empty again after a restart, so it does not
// protect against the redeliveries a crash causes. Use the redis or sql strategy in production.
const processedMessageIds = new Set<string>();

const transporter = nodemailer.createTransport({ host: 'smtp.example.com', port: 587 });

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    const receipt = JSON.parse(message.Body ?? '{}') as { email: string; totalCents: number };
    const dedupKey = \`processed:receipts:\${message.MessageId}\`;
    if (processedMessageIds.has(dedupKey)) return message;
    processedMessageIds.add(dedupKey);
    await transporter.sendMail({ to: receipt.email, subject: 'Your receipt', text: \`Total: \${receipt.totalCents / 100} EUR\` });
    return message;
  },
});

receipts.start();
`;

// ---- helpers -----------------------------------------------------------------------------------

interface Prepared {
  file: string;
  finding: Finding;
  findingsBefore: Finding[];
  errorsBefore: string[];
  reanalyze: () => ReturnType<TestProject['analyze']>;
}

function dedupFix(finding: Finding, strategy: Strategy): FixSuggestion {
  const matches = finding.fixes.filter((fix) => fix.title.startsWith(TITLES[strategy]));
  assert.equal(
    matches.length,
    1,
    `one '${TITLES[strategy]}…' fix, got: ${finding.fixes.map((fix) => fix.title).join(' | ')}`,
  );
  return matches[0];
}

/** A statement right after a `return message` in the same block: it never runs. */
const UNREACHABLE_AFTER_RETURN = /return message;?[ \t]*\r?\n[ \t]*(?!\})\S/;

function dedupFixes(finding: Finding): FixSuggestion[] {
  return finding.fixes.filter((fix) => STRATEGIES.some((strategy) => fix.title.startsWith(TITLES[strategy])));
}

/** The body of the `try { … }` that starts at the first `try {` after `from` (brace-counted). */
function tryBody(text: string, from = 0): string {
  const start = text.indexOf('try {', from);
  assert.ok(start >= 0, 'the fixed handler has a try block');
  let depth = 0;
  for (let index = start + 4; index < text.length; index++) {
    if (text[index] === '{') depth++;
    if (text[index] === '}' && --depth === 0) return text.slice(start + 5, index);
  }
  throw new Error('unbalanced try block');
}

for (const mode of MODES) {
  describe(`missing-event-id-check dedup-guard fixes (${mode})`, () => {
    let project: TestProject;
    let counter = 0;

    before(() => {
      project = new TestProject(mode, 'dedup-fixes');
    });
    after(() => project?.remove());

    function prepare(code: string, strategy: GuardStrategy = 'redis'): Prepared {
      const folder = `case-${counter++}`;
      const [file] = project.write({ [`${folder}/consumer.ts`]: code });
      const config = configWith({ guardStrategy: strategy });
      const result = project.analyze([file], config);
      assert.deepEqual(result.problems, []);
      const findings = findingsOf(result, RULE, file);
      assert.equal(findings.length, 1, `one ${RULE} finding before the fix`);
      return {
        file,
        finding: findings[0],
        findingsBefore: result.findings.filter((finding) => finding.location.filePath === file),
        errorsBefore: result.semanticErrors(file),
        reanalyze: () => project.analyze([file], config),
      };
    }

    function applyAndRead(prepared: Prepared, strategy: Strategy): string {
      applyFix(dedupFix(prepared.finding, strategy));
      return project.read(prepared.file.slice(project.root.length + 1));
    }

    // ---- preferred fix follows guardStrategy ----

    for (const { library, code, sql } of LIBRARIES) {
      for (const strategy of STRATEGIES) {
        if (strategy === 'sql' && !sql) continue;
        test(`${library}: guardStrategy '${strategy}' makes the ${strategy} fix preferred and first`, () => {
          const { finding } = prepare(code, strategy);
          const guards = dedupFixes(finding);
          assert.deepEqual(
            guards.map((fix) => STRATEGIES.find((s) => fix.title.startsWith(TITLES[s]))).sort(),
            STRATEGIES.filter((s) => s !== 'sql' || sql).sort(),
            'one fix per strategy that applies',
          );
          const preferred = finding.fixes.filter((fix) => fix.preferred);
          assert.equal(
            preferred.length,
            1,
            `exactly one preferred fix, got ${preferred.map((fix) => fix.title).join(' | ')}`,
          );
          assert.ok(preferred[0].title.startsWith(TITLES[strategy]), `preferred: ${preferred[0].title}`);
          assert.equal(finding.fixes[0], preferred[0], 'the preferred fix is listed first');
          for (const fix of guards)
            assert.equal(fix.safe, false, 'a dedup guard changes behaviour: never auto-applied');
        });
      }
    }

    // ---- apply, re-analyze ----

    for (const { library, code, identity, sql } of LIBRARIES) {
      for (const strategy of ['redis', 'sql'] as const) {
        if (strategy === 'sql' && !sql) continue;
        test(`${library}: the ${strategy} fix removes the finding and adds none`, () => {
          const prepared = prepare(code, strategy);
          assert.deepEqual(
            prepared.findingsBefore.map((finding) => finding.ruleId),
            [RULE],
            'the fixture has only the missing-event-id-check finding',
          );
          const text = applyAndRead(prepared, strategy);
          assert.ok(text.includes(identity), `the guard is keyed by ${identity}`);
          const after = prepared.reanalyze();
          assert.deepEqual(after.problems, []);
          const left = after.findings.filter((finding) => finding.location.filePath === prepared.file);
          assert.deepEqual(
            left.map((finding) => `${finding.ruleId}:${finding.location.line} ${finding.message}`),
            [],
            'no findings after the fix',
          );
          if (mode === 'typed') {
            const errorsAfter = after.semanticErrors(prepared.file);
            assert.ok(
              errorsAfter.length <= prepared.errorsBefore.length,
              `new type errors: ${errorsAfter.join(' / ')}`,
            );
          }
        });
      }

      test(`${library}: the memory fix leaves the finding, which says the in-memory check does not count`, () => {
        const prepared = prepare(code, 'memory');
        const text = applyAndRead(prepared, 'memory');
        assert.match(text, /new Set<string>\(\)/);
        assert.match(text, /for tests only/);
        const after = prepared.reanalyze();
        const left = findingsOf(after, RULE, prepared.file);
        assert.equal(left.length, 1, 'in-memory guards do not count (docs/model.md, "Guards")');
        assert.match(left[0].message, /in-memory/);
        assert.match(left[0].message, /does not count/);
        assert.ok(
          left[0].related.some((related) => /does not recognise a redelivery/.test(related.message)),
          'the in-memory check is a related location',
        );
        assert.deepEqual(
          after.findings
            .filter((finding) => finding.location.filePath === prepared.file && finding.ruleId !== RULE)
            .map((finding) => finding.ruleId),
          [],
          'no other findings',
        );
        if (mode === 'typed') assert.ok(after.semanticErrors(prepared.file).length <= prepared.errorsBefore.length);
      });
    }

    // ---- the file's own line endings and indentation ----

    for (const { library, code, sql } of LIBRARIES) {
      for (const strategy of STRATEGIES) {
        if (strategy === 'sql' && !sql) continue;
        test(`${library}: the ${strategy} fix in a CRLF, tab-indented file keeps both`, () => {
          const prepared = prepare(withCrlfAndTabs(code, indentWidthOf(code)), strategy);
          const text = applyAndRead(prepared, strategy);
          assertCrlfAndTabs(text, `after the ${strategy} guard`);
          const left = findingsOf(prepared.reanalyze(), RULE, prepared.file);
          // The in-memory guard is for tests: the finding stays, saying so (above).
          assert.equal(left.length, strategy === 'memory' ? 1 : 0, 'the finding goes as in the LF file');
        });
      }
    }

    // ---- a fix applied is not offered again; a second guard still compiles ----

    for (const { library, code } of LIBRARIES) {
      for (const second of ['redis', 'sql'] as const) {
        test(`${library}: after the memory fix, the memory fix is not offered again and the ${second} fix compiles`, () => {
          const prepared = prepare(code, 'memory');
          applyAndRead(prepared, 'memory');
          const reanalysed = prepared.reanalyze();
          const [left] = findingsOf(reanalysed, RULE, prepared.file);
          assert.ok(left, 'the in-memory guard does not count: the finding stays');
          assert.ok(
            !left.fixes.some((fix) => fix.title.startsWith(TITLES.memory)),
            `the in-memory guard is not offered over itself: ${left.fixes.map((fix) => fix.title).join(' | ')}`,
          );
          // Where the guard's skip branch settles and returns, the work cannot be wrapped
          // mechanically any more: no guard is offered, which is fine; one that is offered must compile.
          if (!left.fixes.some((fix) => fix.title.startsWith(TITLES[second]))) return;
          applyFix(dedupFix(left, second));
          const text = project.read(prepared.file.slice(project.root.length + 1));
          if (second === 'redis') assert.match(text, /const dedupKey2 = /, 'the second guard declares a fresh name');
          const after = prepared.reanalyze();
          assert.deepEqual(after.problems, []);
          if (mode === 'typed')
            assert.deepEqual(
              after.semanticErrors(prepared.file).filter((error) => !prepared.errorsBefore.includes(error)),
              [],
              'no new compile errors (no name declared twice)',
            );
        });
      }
    }

    // ---- exact code ----

    const EXACT: { name: string; code: string; strategy: Strategy; expected: string }[] = [
      {
        name: 'kafkajs redis (2 spaces, single quotes, semicolons)',
        code: KAFKA,
        strategy: 'redis',
        expected: KAFKA_REDIS,
      },
      { name: 'kafkajs sql (2 spaces, single quotes, semicolons)', code: KAFKA, strategy: 'sql', expected: KAFKA_SQL },
      {
        name: 'kafkajs memory (2 spaces, single quotes, semicolons)',
        code: KAFKA,
        strategy: 'memory',
        expected: KAFKA_MEMORY,
      },
      {
        name: 'kafkajs redis (4 spaces, double quotes, no semicolons)',
        code: KAFKA_STYLE,
        strategy: 'redis',
        expected: KAFKA_STYLE_REDIS,
      },
      {
        name: 'kafkajs sql (4 spaces, double quotes, no semicolons)',
        code: KAFKA_STYLE,
        strategy: 'sql',
        expected: KAFKA_STYLE_SQL,
      },
      {
        name: 'kafkajs memory (4 spaces, double quotes, no semicolons)',
        code: KAFKA_STYLE,
        strategy: 'memory',
        expected: KAFKA_STYLE_MEMORY,
      },
      {
        name: 'amqplib memory (4 spaces, double quotes, no semicolons): ack then return',
        code: AMQP_STYLE,
        strategy: 'memory',
        expected: AMQP_STYLE_MEMORY,
      },
      { name: 'sqs-consumer memory: return the message', code: SQS, strategy: 'memory', expected: SQS_MEMORY },
    ];

    for (const c of EXACT) {
      test(`exact code: ${c.name}`, () => {
        const prepared = prepare(c.code, c.strategy);
        assert.equal(applyAndRead(prepared, c.strategy), c.expected);
      });
    }

    // ---- the generated guard keeps the settle after the work and the 'done' mark ----

    test("amqplib redis: reuses the file's ioredis client and marks done before the ack", () => {
      const prepared = prepare(AMQP, 'redis');
      const text = applyAndRead(prepared, 'redis');
      assert.equal(text.match(/from 'ioredis'/g)?.length, 1, 'no second ioredis import');
      assert.ok(!text.includes('dedupRedis'), 'no second client');
      assert.match(text, /await redis\.set\(dedupKey, 'processing', 'EX', 300, 'NX'\);/);
      assert.match(
        text,
        /if \(\(await redis\.get\(dedupKey\)\) !== 'done'\) \{\n\s+channel\.nack\(msg, false, true\);\n\s+return;\n\s+\}/,
        'a copy still being processed elsewhere is requeued',
      );
      assert.match(text, /\}\n\s+channel\.ack\(msg\);\n\s+return;\n\s+\}/, 'a duplicate is acked and skipped');
      const done = text.indexOf("await redis.set(dedupKey, 'done'");
      const lastAck = text.lastIndexOf('channel.ack(msg)');
      assert.ok(done >= 0, "the claim is marked 'done'");
      assert.ok(done < lastAck, "the 'done' mark completes before the message is acked");
    });

    test("amqplib sql: the ack comes after the COMMIT, and the handler's update runs on the transaction", () => {
      const prepared = prepare(AMQP, 'sql');
      const text = applyAndRead(prepared, 'sql');
      assert.equal(text.match(/from 'pg'/g)?.length, 1, 'no second pg import');
      assert.ok(!text.includes('new Pool({ connectionString'), 'no second pool');
      assert.match(text, /const db = await pool\.connect\(\);/);
      assert.match(text, /await db\.query\('UPDATE accounts SET balance = balance \+ \$1 WHERE id = \$2'/);
      const commit = text.indexOf("await db.query('COMMIT')");
      const lastAck = text.lastIndexOf('channel.ack(msg)');
      assert.ok(commit >= 0);
      assert.ok(commit < lastAck, 'acking before COMMIT loses the message when the commit fails');
    });

    test("sqs-consumer redis: the 'done' mark is reachable (nothing after `return message`)", () => {
      const prepared = prepare(SQS, 'redis');
      const body = tryBody(applyAndRead(prepared, 'redis'));
      assert.match(body, /'done'/, "the try block marks the claim 'done'");
      assert.doesNotMatch(body, UNREACHABLE_AFTER_RETURN, `code after \`return message\` never runs:\n${body}`);
    });

    test('sqs-consumer without a database write: no inbox fix (nothing for its transaction to hold)', () => {
      const { finding } = prepare(SQS, 'sql');
      assert.ok(!finding.fixes.some((fix) => fix.title.startsWith(TITLES.sql)));
    });

    test('sqs-consumer sql: COMMIT is reachable (nothing after `return message`)', () => {
      const prepared = prepare(SQS_PG, 'sql');
      const body = tryBody(applyAndRead(prepared, 'sql'));
      assert.match(body, /await db\.query\('COMMIT'\)/);
      assert.doesNotMatch(body, UNREACHABLE_AFTER_RETURN, `the transaction is never committed:\n${body}`);
    });

    test('kafkajs: a handler destructuring only { message } is offered the dedup fixes too (no inbox: it writes no database)', () => {
      const { finding } = prepare(KAFKA_MESSAGE_ONLY, 'redis');
      assert.equal(
        dedupFixes(finding).length,
        2,
        `fixes: ${finding.fixes.map((fix) => fix.title).join(' | ') || 'none'}`,
      );
    });
  });
}
