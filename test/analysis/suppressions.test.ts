/**
 * Suppressions and handler tags (docs/model.md, "Suppressions and declarations"):
 * `// delivery-lint-disable-next-line <rule> -- reason`, `// delivery-lint-disable-line <rule>`,
 * `/* delivery-lint-disable <rule> *\/` … `/* delivery-lint-enable <rule> *\/`, and the JSDoc tags
 * `@idempotent reason` and `@delivery at-most-once` on a handler.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, ConsumerReport, Finding } from '../../server/src/model';
import { Suppressions } from '../../server/src/analysis/source/directives';
import { MODES, TestProject, configWith } from '../helpers/project';
import { lineOf } from '../helpers/lines';

const MISSING = 'missing-event-id-check';
const ACK = 'ack-before-process';
const NIH = 'non-idempotent-handler';

// ---- the directive parser on its own ---------------------------------------------------------

describe('Suppressions (directive parser)', () => {
  const text = (lines: string[]): string => lines.join('\n');

  test('disable-next-line with one rule suppresses only that rule on the next line', () => {
    const s = new Suppressions(
      text(['// delivery-lint-disable-next-line missing-event-id-check', 'handler();', 'other();']),
    );
    assert.equal(s.isSuppressed(MISSING, 2), true);
    assert.equal(s.isSuppressed(ACK, 2), false);
    assert.equal(s.isSuppressed(MISSING, 1), false);
    assert.equal(s.isSuppressed(MISSING, 3), false);
  });

  test('disable-next-line without a rule list suppresses every rule on the next line', () => {
    const s = new Suppressions(
      text(['const x = 1;', '  // delivery-lint-disable-next-line', '  channel.ack(msg);', 'after();']),
    );
    for (const rule of [MISSING, ACK, NIH]) assert.equal(s.isSuppressed(rule, 3), true, rule);
    assert.equal(s.isSuppressed(ACK, 4), false);
  });

  test('a `-- reason` is not read as rule names', () => {
    const s = new Suppressions(
      text([
        '// delivery-lint-disable-next-line ack-before-process -- missing-event-id-check is handled by the outbox',
        'channel.ack(msg);',
      ]),
    );
    assert.equal(s.isSuppressed(ACK, 2), true);
    assert.equal(s.isSuppressed(MISSING, 2), false);
  });

  test('a reason alone (no rule list) still suppresses every rule', () => {
    const s = new Suppressions(
      text(['// delivery-lint-disable-next-line -- replayed from an idempotent outbox', 'work();']),
    );
    assert.equal(s.isSuppressed(MISSING, 2), true);
    assert.equal(s.isSuppressed(NIH, 2), true);
  });

  test('a `--` with nothing after it, an empty `reason:` or a placeholder is a problem (the directive still suppresses)', () => {
    for (const written of ['-- ', '--', '-- reason:', '-- reason: ', '-- <why this finding does not apply>']) {
      const s = new Suppressions(
        text([`// delivery-lint-disable-next-line missing-event-id-check ${written}`, 'work();']),
      );
      assert.equal(s.isSuppressed(MISSING, 2), true, written);
      assert.deepEqual(
        s.problems.map((problem) => `${problem.kind}@${problem.line}`),
        ['missing-reason@1'],
        JSON.stringify(written),
      );
    }
  });

  test('a reason, or no `--` at all, is no problem', () => {
    for (const written of ['-- replayed from the outbox', '-- reason: the outbox dedups', '']) {
      const s = new Suppressions(
        text([`// delivery-lint-disable-next-line missing-event-id-check ${written}`, 'work();']),
      );
      assert.deepEqual(s.problems, [], JSON.stringify(written));
    }
    assert.deepEqual(new Suppressions('/* delivery-lint-enable missing-event-id-check -- */').problems, []);
  });

  test('several rules, comma- or space-separated', () => {
    const s = new Suppressions(
      text([
        '// delivery-lint-disable-next-line ack-before-process, missing-event-id-check',
        'a();',
        '// delivery-lint-disable-next-line non-idempotent-handler double-ack',
        'b();',
      ]),
    );
    assert.equal(s.isSuppressed(ACK, 2), true);
    assert.equal(s.isSuppressed(MISSING, 2), true);
    assert.equal(s.isSuppressed(NIH, 2), false);
    assert.equal(s.isSuppressed(NIH, 4), true);
    assert.equal(s.isSuppressed('double-ack', 4), true);
    assert.equal(s.isSuppressed(ACK, 4), false);
  });

  test('disable-line suppresses its own line only', () => {
    const s = new Suppressions(
      text([
        'first();',
        'channel.ack(msg); // delivery-lint-disable-line ack-before-process -- acked on purpose',
        'third();',
      ]),
    );
    assert.equal(s.isSuppressed(ACK, 2), true);
    assert.equal(s.isSuppressed(ACK, 1), false);
    assert.equal(s.isSuppressed(ACK, 3), false);
    assert.equal(s.isSuppressed(MISSING, 2), false);
  });

  test('block disable … enable covers the lines in between, for the named rule', () => {
    const s = new Suppressions(
      text([
        'before();',
        '/* delivery-lint-disable missing-event-id-check */',
        'inside();',
        'inside();',
        '/* delivery-lint-enable missing-event-id-check */',
        'after();',
      ]),
    );
    assert.equal(s.isSuppressed(MISSING, 1), false);
    assert.equal(s.isSuppressed(MISSING, 3), true);
    assert.equal(s.isSuppressed(MISSING, 4), true);
    assert.equal(s.isSuppressed(MISSING, 6), false);
    assert.equal(s.isSuppressed(ACK, 3), false);
  });

  test('block disable without an enable lasts to the end of the file', () => {
    const s = new Suppressions(text(['a();', '/* delivery-lint-disable */', 'b();', 'c();', 'd();']));
    assert.equal(s.isSuppressed(ACK, 1), false);
    assert.equal(s.isSuppressed(ACK, 5), true);
    assert.equal(s.isSuppressed(MISSING, 4), true);
  });

  test('enabling one rule after disabling all leaves the others disabled', () => {
    const s = new Suppressions(
      text(['/* delivery-lint-disable */', 'a();', '/* delivery-lint-enable missing-event-id-check */', 'b();']),
    );
    assert.equal(s.isSuppressed(MISSING, 2), true);
    assert.equal(s.isSuppressed(MISSING, 4), false);
    assert.equal(s.isSuppressed(ACK, 4), true);
  });

  test('an enable of another rule does not end a rule-specific block', () => {
    const s = new Suppressions(
      text([
        '/* delivery-lint-disable ack-before-process */',
        'a();',
        '/* delivery-lint-enable missing-event-id-check */',
        'b();',
        '/* delivery-lint-enable */',
        'c();',
      ]),
    );
    assert.equal(s.isSuppressed(ACK, 4), true);
    assert.equal(s.isSuppressed(ACK, 6), false);
  });

  test('unrelated comments and near-miss spellings suppress nothing', () => {
    const s = new Suppressions(
      text([
        '// eslint-disable-next-line no-console',
        'a();',
        '// delivery-lint disable-next-line',
        'b();',
        '// TODO delivery-lint',
        'c();',
      ]),
    );
    assert.equal(s.isSuppressed(ACK, 2), false);
    assert.equal(s.isSuppressed(ACK, 4), false);
    assert.equal(s.isSuppressed(ACK, 6), false);
  });
});

// ---- suppressions applied to real findings ---------------------------------------------------

/**
 * A kafkajs handler with no dedup check before an insert: one missing-event-id-check finding, on
 * the handler's head. The slots place comments around it.
 */
function kafkaNoGuard(
  slots: { beforeRun?: string; beforeHandler?: string; headSuffix?: string; afterRun?: string; top?: string } = {},
): string {
  return `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
${slots.top ?? ''}
const pool = new Pool();
const consumer = new Kafka({ clientId: 'billing', brokers: ['kafka:9092'] }).consumer({ groupId: 'billing' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
${slots.beforeRun ?? ''}
  await consumer.run({
${slots.beforeHandler ?? ''}
    eachMessage: async ({ message }) => {${slots.headSuffix ?? ''}
      const order = JSON.parse(message.value!.toString());
      await pool.query('INSERT INTO invoices (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
    },
  });
${slots.afterRun ?? ''}
}
`;
}

/** amqplib: an unsafe insert before the ack (missing-event-id-check) and one after it (ack-before-process). */
function amqpHandler(jsdoc: string): string {
  return `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();
let channel: Channel;

${jsdoc}
async function onOrder(msg: ConsumeMessage | null): Promise<void> {
  if (!msg) return;
  await pool.query('INSERT INTO order_log (body) VALUES ($1)', [msg.content.toString()]);
  channel.ack(msg);
  await pool.query('INSERT INTO invoices (body) VALUES ($1)', [msg.content.toString()]);
}

export async function start(): Promise<void> {
  channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('orders', onOrder);
}
`;
}

/** sqs-consumer with a valid claim and an insert before it (non-idempotent-handler on the insert). */
function sqsEscape(beforeInsert: string): string {
  return `import { Consumer } from 'sqs-consumer';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();

export const payments = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/payments',
  handleMessage: async (message) => {
${beforeInsert}
    await pool.query('INSERT INTO payment_log (body) VALUES ($1)', [message.Body]);
    const first = await redis.set(\`pay:\${message.MessageId}\`, '1', 'EX', 300, 'NX');
    if (!first) return message;
    await pool.query('INSERT INTO payouts (body) VALUES ($1)', [message.Body]);
    return message;
  },
});
`;
}

interface Scenario {
  name: string;
  code: string;
  /** Rule ids expected, in order of location (each once). */
  expected: string[];
  check?: (consumer: ConsumerReport, findings: Finding[], code: string) => void;
}

const scenarios: Scenario[] = [
  {
    name: 'baseline: the unguarded kafkajs handler is reported on its head',
    code: kafkaNoGuard(),
    expected: [MISSING],
    check: (_consumer, findings, code) =>
      assert.equal(findings[0].location.line, lineOf(code, 'eachMessage: async ({ message })')),
  },
  {
    name: 'disable-next-line naming the rule, with a reason',
    code: kafkaNoGuard({
      beforeHandler:
        '    // delivery-lint-disable-next-line missing-event-id-check -- invoices has a unique (order_id) index',
    }),
    expected: [],
  },
  {
    name: 'disable-next-line without a rule list',
    code: kafkaNoGuard({ beforeHandler: '    // delivery-lint-disable-next-line' }),
    expected: [],
  },
  {
    name: 'disable-next-line naming several rules',
    code: kafkaNoGuard({
      beforeHandler: '    // delivery-lint-disable-next-line ack-before-process, missing-event-id-check',
    }),
    expected: [],
  },
  {
    name: 'disable-next-line naming another rule does not suppress',
    code: kafkaNoGuard({
      beforeHandler: '    // delivery-lint-disable-next-line ack-before-process -- offsets are committed later',
    }),
    expected: [MISSING],
  },
  {
    name: 'a rule id inside the reason does not suppress it',
    code: kafkaNoGuard({
      beforeHandler:
        '    // delivery-lint-disable-next-line non-idempotent-handler -- missing-event-id-check is tracked in JIRA-42',
    }),
    expected: [MISSING],
  },
  {
    name: 'disable-next-line two lines above the finding does not reach it',
    code: kafkaNoGuard({ beforeRun: '  // delivery-lint-disable-next-line missing-event-id-check' }),
    expected: [MISSING],
  },
  {
    name: 'disable-line on the handler head',
    code: kafkaNoGuard({ headSuffix: ' // delivery-lint-disable-line missing-event-id-check -- unique index' }),
    expected: [],
  },
  {
    name: 'block disable … enable around the registration',
    code: kafkaNoGuard({
      beforeRun: '  /* delivery-lint-disable missing-event-id-check */',
      afterRun: '  /* delivery-lint-enable missing-event-id-check */',
    }),
    expected: [],
  },
  {
    name: 'block disable of every rule at the top of the file',
    code: kafkaNoGuard({ top: '/* delivery-lint-disable */' }),
    expected: [],
  },
  {
    name: 'block disable of another rule does not suppress',
    code: kafkaNoGuard({
      beforeRun: '  /* delivery-lint-disable ack-before-process */',
      afterRun: '  /* delivery-lint-enable ack-before-process */',
    }),
    expected: [MISSING],
  },
  {
    name: 'block disable ended before the handler does not suppress',
    code: kafkaNoGuard({
      top: '/* delivery-lint-disable missing-event-id-check */\n/* delivery-lint-enable missing-event-id-check */',
    }),
    expected: [MISSING],
  },
  {
    name: 'baseline: the amqplib handler has a missing check and an early ack',
    code: amqpHandler('/** Writes invoices for placed orders. */'),
    expected: [MISSING, ACK],
    check: (consumer) => {
      assert.equal(consumer.vouchedIdempotent, undefined);
      assert.equal(consumer.declaredSemantics, 'at-least-once');
    },
  },
  {
    name: '@idempotent on a named handler silences the dedup rule, not ack-before-process',
    code: amqpHandler(
      '/**\n * Writes invoices for placed orders.\n * @idempotent order_log and invoices have unique (message_id) constraints\n */',
    ),
    expected: [ACK],
    check: (consumer) =>
      assert.equal(consumer.vouchedIdempotent, 'order_log and invoices have unique (message_id) constraints'),
  },
  {
    name: '@idempotent without a reason still vouches',
    code: amqpHandler('/** @idempotent */'),
    expected: [ACK],
    check: (consumer) => assert.ok(consumer.vouchedIdempotent !== undefined),
  },
  {
    name: '@delivery at-most-once declares the handler at-most-once: no dedup finding',
    code: amqpHandler('/**\n * Best-effort mirror of orders into the log.\n * @delivery at-most-once\n */'),
    expected: [ACK],
    check: (consumer) => {
      assert.equal(consumer.declaredSemanticsOverride, 'at-most-once');
      assert.equal(consumer.declaredSemantics, 'at-most-once');
    },
  },
  {
    name: '@idempotent on an arrow handler held in a const',
    code: `import { Kafka, type EachMessagePayload } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'billing', brokers: ['kafka:9092'] }).consumer({ groupId: 'billing' });

/** @idempotent the upstream producer never redelivers (exactly-once transactional producer) */
const handleOrder = async ({ message }: EachMessagePayload): Promise<void> => {
  await pool.query('INSERT INTO invoices (payload) VALUES ($1)', [message.value?.toString()]);
};

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({ eachMessage: handleOrder });
}
`,
    expected: [],
    check: (consumer) => assert.match(consumer.vouchedIdempotent ?? '', /never redelivers/),
  },
  {
    name: '@delivery at-most-once on an inline handler property',
    code: `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';

const redis = new Redis();
const consumer = new Kafka({ clientId: 'metrics', brokers: ['kafka:9092'] }).consumer({ groupId: 'metrics' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'page.views' });
  await consumer.run({
    /** @delivery at-most-once */
    eachMessage: async ({ message }) => {
      await redis.incr(\`views:\${message.key?.toString()}\`);
    },
  });
}
`,
    expected: [],
    check: (consumer) => assert.equal(consumer.declaredSemantics, 'at-most-once'),
  },
  {
    name: 'baseline: an insert escaping the claim is reported on its line',
    code: sqsEscape(''),
    expected: [NIH],
    check: (_consumer, findings, code) =>
      assert.equal(findings[0].location.line, lineOf(code, 'INSERT INTO payment_log')),
  },
  {
    name: 'disable-next-line above an escaping effect',
    code: sqsEscape(
      '    // delivery-lint-disable-next-line non-idempotent-handler -- payment_log is append-only on purpose',
    ),
    expected: [],
  },
];

for (const mode of MODES) {
  describe(`suppressions applied to findings (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    const paths = new Map<string, string>();

    before(() => {
      project = new TestProject(mode, 'suppressions');
      const roots = scenarios.map((scenario, index) => {
        const [written] = project.write({ [`scenario-${index}.ts`]: scenario.code });
        paths.set(scenario.name, written);
        return written;
      });
      result = project.analyze(roots);
    });
    after(() => project?.remove());

    for (const scenario of scenarios) {
      test(scenario.name, () => {
        const path = paths.get(scenario.name)!;
        assert.deepEqual(result.problems, []);
        const consumers = result.consumers.filter((consumer) => consumer.registration.location.filePath === path);
        assert.equal(consumers.length, 1, 'one consumer expected');
        const findings = result.findings.filter((finding) => finding.location.filePath === path);
        assert.deepEqual(
          findings.map((finding) => finding.ruleId),
          scenario.expected,
          findings.map((finding) => `${finding.ruleId}@${finding.location.line}: ${finding.message}`).join('\n'),
        );
        scenario.check?.(consumers[0], findings, scenario.code);
      });
    }
  });
}

describe('declared semantics from config, by topic', () => {
  for (const mode of MODES) {
    test(`config semantics: { 'orders.placed': 'at-most-once' } silences the dedup rule (${mode})`, () => {
      const project = new TestProject(mode, 'semantics-config');
      try {
        const [file] = project.write({ 'consumer.ts': kafkaNoGuard() });
        const plain = project.analyze([file]);
        assert.deepEqual(
          plain.findings.map((finding) => finding.ruleId),
          [MISSING],
        );
        const configured = project.analyze([file], configWith({ semantics: { 'orders.placed': 'at-most-once' } }));
        assert.deepEqual(configured.findings, []);
        assert.equal(configured.consumers[0].declaredSemantics, 'at-most-once');
        assert.equal(configured.consumers[0].declaredSemanticsOverride, 'at-most-once');
      } finally {
        project.remove();
      }
    });
  }
});

describe('suppressions and tags where the handler lives in another file or a class', () => {
  for (const mode of MODES) {
    test(`disable-next-line in the handler's own file suppresses the finding reported there (${mode})`, () => {
      const project = new TestProject(mode, 'suppress-other-file');
      try {
        const handler = `import type { EachMessagePayload } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();

// delivery-lint-disable-next-line missing-event-id-check -- shipments has a unique (order_id) index
export async function onOrderPlaced({ message }: EachMessagePayload): Promise<void> {
  const order = JSON.parse(message.value!.toString());
  await pool.query('INSERT INTO shipments (order_id) VALUES ($1)', [order.id]);
}
`;
        const unsuppressed = handler.replace(/^\/\/ delivery-lint-disable-next-line.*\n/m, '');
        const consumer = (module: string) => `import { Kafka } from 'kafkajs';
import { onOrderPlaced } from './${module}';

const consumer = new Kafka({ clientId: 'shipping', brokers: ['kafka:9092'] }).consumer({ groupId: 'shipping' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({ eachMessage: onOrderPlaced });
}
`;
        const [suppressedConsumer, , plainConsumer, plainHandler] = project.write({
          'a/consumer.ts': consumer('handler'),
          'a/handler.ts': handler,
          'b/consumer.ts': consumer('handler'),
          'b/handler.ts': unsuppressed,
        });
        const result = project.analyze([suppressedConsumer, plainConsumer]);
        assert.deepEqual(result.problems, []);
        const plain = result.findings.filter(
          (finding) => finding.ruleId === MISSING && finding.location.filePath === plainHandler,
        );
        assert.equal(plain.length, 1, 'without the comment the finding is reported in the handler file');
        assert.equal(plain[0].location.line, lineOf(unsuppressed, 'export async function onOrderPlaced'));
        const suppressed = result.findings.filter(
          (finding) => finding.ruleId === MISSING && finding.location.filePath.includes('/a/'),
        );
        assert.deepEqual(suppressed, []);
      } finally {
        project.remove();
      }
    });

    test(`@idempotent on a class method registered with .bind(this) (${mode})`, () => {
      const project = new TestProject(mode, 'tag-method');
      try {
        const code = `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

export class LedgerWorker {
  private readonly pool = new Pool();
  private channel?: Channel;

  async start(): Promise<void> {
    this.channel = await (await amqp.connect('amqp://rabbit')).createChannel();
    await this.channel.consume('ledger', this.onEntry.bind(this));
  }

  /** @idempotent ledger_entries is keyed by (message_id) and the insert is rejected on a duplicate */
  private async onEntry(msg: ConsumeMessage | null): Promise<void> {
    if (!msg) return;
    await this.pool.query('INSERT INTO ledger_entries (body) VALUES ($1)', [msg.content.toString()]);
    this.channel?.ack(msg);
  }
}
`;
        const [file] = project.write({ 'worker.ts': code });
        const result = project.analyze([file]);
        assert.equal(result.consumers.length, 1);
        assert.match(result.consumers[0].vouchedIdempotent ?? '', /keyed by \(message_id\)/);
        assert.deepEqual(
          result.findings.filter((finding) => finding.ruleId === MISSING || finding.ruleId === NIH),
          [],
        );
        // Control: the same worker without the tag is reported.
        const [untagged] = project.write({ 'untagged.ts': code.replace(/^\s*\/\*\* @idempotent.*\n/m, '') });
        const control = project.analyze([untagged]);
        assert.deepEqual(
          control.findings.map((finding) => finding.ruleId),
          [MISSING],
        );
      } finally {
        project.remove();
      }
    });
  }
});
