/**
 * exactly-once-incomplete (docs/rules/exactly-once-incomplete.md): kafkajs consume-transform-produce with a
 * transactional producer whose consumed offsets are committed outside the transaction: no
 * `transaction.sendOffsets`, `autoCommit` on, or `commitOffsets` on the side. Reported on the
 * `producer.transaction()` call. The sends inside the transaction belong to this rule: the dedup
 * rules do not report them (checked at the end).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import { MODES, TestProject, configWith } from '../helpers/project';
import { type ExpectedFinding, type InvalidRuleTestCase, type RuleTestCase, ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';

const RULE = 'exactly-once-incomplete';

type Located = Omit<ExpectedFinding, 'line' | 'file'> & { at: string };

function invalid(c: Omit<InvalidRuleTestCase, 'errors'> & { findings: Located[] }): InvalidRuleTestCase {
  const { findings, ...rest } = c;
  return { ...rest, errors: findings.map(({ at, ...expected }) => ({ ...expected, line: lineOf(c.code, at) })) };
}

const HEAD = `import { Kafka } from 'kafkajs';

const kafka = new Kafka({ clientId: 'enricher', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'order-enricher' });
const producer = kafka.producer({ transactionalId: 'order-enricher-tx', idempotent: true, maxInFlightRequests: 1 });
`;

/** A consume-transform-produce handler; `runOptions` go before eachMessage, `offsets` before commit(). */
function kafka(runOptions: string, offsets: string, after = ''): string {
  return `${HEAD}
export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.raw' });
  await consumer.run({${runOptions}
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; total: number };
      const transaction = await producer.transaction();
      try {
        await transaction.send({ topic: 'orders.enriched', messages: [{ key: order.id, value: JSON.stringify({ ...order, enriched: true }) }] });${offsets}
        await transaction.commit();
      } catch (error) {
        await transaction.abort();
        throw error;
      }${after}
    },
  });
}
`;
}

const SEND_OFFSETS = `
        await transaction.sendOffsets({ consumerGroupId: 'order-enricher', topics: [{ topic, partitions: [{ partition, offset: (Number(message.offset) + 1).toString() }] }] });`;

const CORRECT = kafka('\n    autoCommit: false,', SEND_OFFSETS);
const NO_OFFSETS_AUTOCOMMIT = kafka('', '');

const COMMIT_OUTSIDE = kafka(
  '\n    autoCommit: false,',
  '',
  `
      await consumer.commitOffsets([{ topic, partition, offset: (Number(message.offset) + 1).toString() }]);`,
);

const RENAMED = `${HEAD}
export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const tx = await producer.transaction();
      await tx.send({ topic: 'audit', messages: [{ value: message.value }] });
      await tx.commit();
    },
  });
}
`;

const HELPER = `import type { Producer } from 'kafkajs';

export async function forward(producer: Producer, value: Buffer | null): Promise<void> {
  const transaction = await producer.transaction();
  await transaction.send({ topic: 'orders.copied', messages: [{ value }] });
  await transaction.commit();
}
`;

const HELPER_CONSUMER = `${HEAD}
import { forward } from './services/forward';

export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await forward(producer, message.value);
    },
  });
}
`;

const CONFLUENT_HEAD = `import { KafkaJS } from '@confluentinc/kafka-javascript';

const kafka = new KafkaJS.Kafka({ kafkaJS: { clientId: 'enricher', brokers: ['kafka:9092'] } });
const producer = kafka.producer({ kafkaJS: { transactionalId: 'enricher-tx', idempotent: true } });
`;

function confluent(autoCommit: string, offsets: string): string {
  return `${CONFLUENT_HEAD}
const consumer = kafka.consumer({ kafkaJS: { groupId: 'enricher'${autoCommit} } });

export async function run(): Promise<void> {
  await consumer.subscribe({ topics: ['orders.raw'] });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }: any) => {
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'orders.enriched', messages: [{ value: message.value }] });${offsets}
      await transaction.commit();
    },
  });
}
`;
}

const CONFLUENT_OFFSETS = `
      await transaction.sendOffsets({ consumer, topics: [{ topic, partitions: [{ partition, offset: (Number(message.offset) + 1).toString() }] }] });`;

const valid: RuleTestCase[] = [
  { name: 'kafkajs: autoCommit: false, sendOffsets in the transaction before commit()', code: CORRECT },
  {
    name: 'kafkajs: a plain producer.send (no transaction) is missing-event-id-check business',
    code: `${HEAD}
export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await producer.send({ topic: 'audit', messages: [{ value: message.value }] });
    },
  });
}
`,
  },
  {
    name: 'amqplib consumer publishing through a Kafka transaction: no consumer offsets to commit',
    code: `import amqp from 'amqplib';
import { Kafka } from 'kafkajs';
const producer = new Kafka({ clientId: 'bridge', brokers: ['kafka:9092'] }).producer({ transactionalId: 'bridge-tx' });
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('bridge', async (msg) => {
    if (!msg) return;
    const transaction = await producer.transaction();
    await transaction.send({ topic: 'bridged', messages: [{ value: msg.content }] });
    await transaction.commit();
    channel.ack(msg);
  });
}
`,
  },
  {
    name: 'Confluent KafkaJS API: autoCommit: false in the consumer config, sendOffsets in the transaction',
    code: confluent(', autoCommit: false', CONFLUENT_OFFSETS),
  },
];

const invalidCases: InvalidRuleTestCase[] = [
  invalid({
    name: 'kafkajs: no sendOffsets and autoCommit on by default',
    code: NO_OFFSETS_AUTOCOMMIT,
    findings: [
      {
        at: 'const transaction = await producer.transaction();',
        messageId: 'offsetOutsideTransaction',
        data: [
          "kafkajs consumer of topic 'orders.raw'",
          "'orders.enriched'",
          'never calls transaction.sendOffsets()',
          'autoCommit is on (the default)',
        ],
        related: 2,
        severity: 'warning',
      },
    ],
  }),
  invalid({
    name: 'kafkajs: sendOffsets in the transaction, but autoCommit: true',
    code: kafka('\n    autoCommit: true,', SEND_OFFSETS),
    findings: [
      {
        at: 'const transaction = await producer.transaction();',
        messageId: 'offsetOutsideTransaction',
        data: 'autoCommit is on, so the consumer also commits',
      },
    ],
  }),
  invalid({
    name: 'kafkajs: autoCommit: false but the offset is committed with commitOffsets after the transaction',
    code: COMMIT_OUTSIDE,
    findings: [
      {
        at: 'const transaction = await producer.transaction();',
        messageId: 'offsetOutsideTransaction',
        data: ['never calls transaction.sendOffsets()', 'commitOffsets() on line'],
      },
    ],
  }),
  invalid({
    name: 'kafkajs: a transaction under another name (tx)',
    code: RENAMED,
    findings: [
      { at: 'const tx = await producer.transaction();', messageId: 'offsetOutsideTransaction', data: "'audit'" },
    ],
  }),
  invalid({
    name: "kafkajs: the transaction is made in a helper: reported on the handler's call, related to the transaction",
    code: HELPER_CONSUMER,
    files: { 'services/forward.ts': HELPER },
    findings: [
      {
        at: 'await forward(producer, message.value);',
        messageId: 'offsetOutsideTransaction',
        data: "'orders.copied'",
        related: 3,
      },
    ],
  }),
  invalid({
    name: 'Confluent KafkaJS API: auto-commit on (the default) and no sendOffsets',
    code: confluent('', ''),
    findings: [
      {
        at: 'const transaction = await producer.transaction();',
        messageId: 'offsetOutsideTransaction',
        data: ['confluent-kafka consumer', 'never calls transaction.sendOffsets()', 'autoCommit is on'],
      },
    ],
  }),
];

ruleTester(RULE, { valid, invalid: invalidCases });

// ---- the sends inside a transaction are not the dedup rules' ---------------------------------------

for (const mode of MODES) {
  describe(`exactly-once-incomplete: transactional sends and the dedup rules (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    before(() => {
      project = new TestProject(mode, 'eos-dedup');
      const files = project.write({
        'correct/consumer.ts': CORRECT,
        'incomplete/consumer.ts': NO_OFFSETS_AUTOCOMMIT,
        'renamed/consumer.ts': RENAMED,
        'offsets-first/consumer.ts': kafka('\n    autoCommit: false,', '').replace(
          '        await transaction.send(',
          `${SEND_OFFSETS.slice(1)}\n        await transaction.send(`,
        ),
      });
      result = project.analyze(files, configWith());
    });
    after(() => project?.remove());

    test('no missing-event-id-check, non-idempotent-handler or non-atomic-dedup on a transactional send', () => {
      const dedup = result.findings.filter((finding) =>
        ['missing-event-id-check', 'non-idempotent-handler', 'non-atomic-dedup'].includes(finding.ruleId),
      );
      assert.deepEqual(
        dedup.map((finding) => `${finding.ruleId}: ${finding.message}`),
        [],
      );
    });

    test('sendOffsets before the send is not an early ack: both commit with the transaction', () => {
      const findings = result.findings.filter((finding) => finding.location.filePath.includes('/offsets-first/'));
      assert.deepEqual(
        findings.map((finding) => `${finding.ruleId}: ${finding.message}`),
        [],
      );
    });

    test('the transactional sends are idempotent effects, the sendOffsets a commit inside the transaction', () => {
      const correct = result.consumers.find((consumer) =>
        consumer.registration.location.filePath.includes('/correct/'),
      )!;
      const sends = correct.effects.filter((effect) => effect.description.label.startsWith('Kafka transactional send'));
      assert.equal(sends.length, 1);
      assert.equal(sends[0].description.class, 'idempotent');
      const offsets = correct.settles.filter((settle) => settle.label === 'transaction.sendOffsets()');
      assert.equal(offsets.length, 1);
      assert.equal(offsets[0].kind, 'commit');
      assert.equal(offsets[0].transaction?.id, sends[0].transaction?.id, 'the offsets commit with the sends');
      assert.deepEqual(
        result.findings
          .filter((finding) => finding.location.filePath.includes('/correct/'))
          .map((finding) => finding.ruleId),
        [],
      );
    });
  });
}
