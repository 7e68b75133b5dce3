/**
 * The exactly-once-incomplete quick-fix (kafkajs eachMessage): `transaction.sendOffsets(...)` with
 * the consumer's group and the next offset, just before `commit()`; `autoCommit: false` in run();
 * `commitOffsets` outside the transaction removed. Applied and re-analysed: no finding is left (the
 * transactional sends were never the dedup rules').
 */
import { type FixCase, fixTests } from '../helpers/fix-cases';

const RULE = 'exactly-once-incomplete';
const FIX = 'Commit the consumed offset in the transaction';
const ALL = [
  RULE,
  'missing-event-id-check',
  'non-idempotent-handler',
  'non-atomic-dedup',
  'ack-before-process',
  'double-ack',
  'swallowed-failure-ack',
];

const HEAD = `import { Kafka } from 'kafkajs';

const GROUP = 'order-enricher';
const kafka = new Kafka({ clientId: 'enricher', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: GROUP });
const producer = kafka.producer({ transactionalId: 'order-enricher-tx', idempotent: true, maxInFlightRequests: 1 });
`;

const NO_OFFSETS = `${HEAD}
export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.raw' });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string };
      const transaction = await producer.transaction();
      try {
        await transaction.send({ topic: 'orders.enriched', messages: [{ key: order.id, value: message.value }] });
        await transaction.commit();
      } catch (error) {
        await transaction.abort();
        throw error;
      }
    },
  });
}
`;

const NO_OFFSETS_FIXED = `${HEAD}
export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.raw' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string };
      const transaction = await producer.transaction();
      try {
        await transaction.send({ topic: 'orders.enriched', messages: [{ key: order.id, value: message.value }] });
        await transaction.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic, partitions: [{ partition, offset: (Number(message.offset) + 1).toString() }] }] });
        await transaction.commit();
      } catch (error) {
        await transaction.abort();
        throw error;
      }
    },
  });
}
`;

/** Only `message` destructured, and the body already says `topic` (the send's option): the topic is bound under another name. */
const MESSAGE_ONLY = `import { Kafka } from 'kafkajs';

const kafka = new Kafka({ clientId: 'audit', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'audit-copier' });
const producer = kafka.producer({ transactionalId: 'audit-tx' });

export async function run(): Promise<void> {
  await consumer.run({ autoCommit: true, eachMessage: async ({ message }) => {
    const tx = await producer.transaction();
    await tx.send({ topic: 'audit.copy', messages: [{ value: message.value }] });
    await tx.commit();
  } });
}
`;

const MESSAGE_ONLY_FIXED = `import { Kafka } from 'kafkajs';

const kafka = new Kafka({ clientId: 'audit', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'audit-copier' });
const producer = kafka.producer({ transactionalId: 'audit-tx' });

export async function run(): Promise<void> {
  await consumer.run({ autoCommit: false, eachMessage: async ({ topic: consumedTopic, partition, message }) => {
    const tx = await producer.transaction();
    await tx.send({ topic: 'audit.copy', messages: [{ value: message.value }] });
    await tx.sendOffsets({ consumerGroupId: 'audit-copier', topics: [{ topic: consumedTopic, partitions: [{ partition, offset: (Number(message.offset) + 1).toString() }] }] });
    await tx.commit();
  } });
}
`;

/** autoCommit: false, but the offset committed with commitOffsets after the transaction. */
const COMMIT_OUTSIDE = `${HEAD}
export async function run(): Promise<void> {
  await consumer.run({
    autoCommit: false,
    eachMessage: async (payload) => {
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'orders.enriched', messages: [{ value: payload.message.value }] });
      await transaction.commit();
      await consumer.commitOffsets([{ topic: payload.topic, partition: payload.partition, offset: (Number(payload.message.offset) + 1).toString() }]);
    },
  });
}
`;

const COMMIT_OUTSIDE_FIXED = `${HEAD}
export async function run(): Promise<void> {
  await consumer.run({
    autoCommit: false,
    eachMessage: async (payload) => {
      const transaction = await producer.transaction();
      await transaction.send({ topic: 'orders.enriched', messages: [{ value: payload.message.value }] });
      await transaction.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: payload.topic, partitions: [{ partition: payload.partition, offset: (Number(payload.message.offset) + 1).toString() }] }] });
      await transaction.commit();
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

const cases: FixCase[] = [
  {
    name: 'kafkajs: sendOffsets before commit() with the group constant, autoCommit: false added',
    code: NO_OFFSETS,
    fix: FIX,
    expected: NO_OFFSETS_FIXED,
    absent: ALL,
  },
  {
    name: 'kafkajs: ({ message }) only, autoCommit: true flipped, topic bound under a free name',
    code: MESSAGE_ONLY,
    fix: FIX,
    expected: MESSAGE_ONLY_FIXED,
    absent: ALL,
  },
  {
    name: 'kafkajs: a payload parameter; the commitOffsets outside the transaction is removed',
    code: COMMIT_OUTSIDE,
    fix: FIX,
    expected: COMMIT_OUTSIDE_FIXED,
    absent: ALL,
  },
  {
    name: 'sendOffsets already there, only autoCommit on: the fix only turns it off',
    code: NO_OFFSETS_FIXED.replace('    autoCommit: false,\n', ''),
    fix: FIX,
    expected: NO_OFFSETS_FIXED,
    absent: ALL,
  },
  {
    name: 'no fix when the transaction is in a helper',
    code: `${HEAD}
import { forward } from './forward';

export async function run(): Promise<void> {
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => forward(producer, message.value) });
}
`,
    files: { 'forward.ts': HELPER },
  },
  {
    name: 'no fix when the group id is not a literal or a module constant',
    code: NO_OFFSETS.replace('groupId: GROUP', 'groupId: process.env.GROUP_ID ?? GROUP'),
  },
];

fixTests(RULE, cases);
