/**
 * Patterns found by running delivery-lint on public repositories (issue 4), written anew in the
 * shape of that code: each was a false positive or a miss before its fix.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import { MODES, TestProject } from '../helpers/project';

const FILES: Record<string, string> = {
  // Prisma createMany with skipDuplicates is a conflict-ignoring insert.
  'prices.ts': `import { Consumer } from 'sqs-consumer';
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();
export const prices = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/prices',
  handleMessage: async (message) => {
    const rows = JSON.parse(message.Body!) as { symbol: string; date: string; close: number }[];
    await prisma.marketData.createMany({ data: rows, skipDuplicates: true });
  },
});
`,
  // A DLQ consumer routes exhausted messages to a 'failed' routing key held in an unresolved constant.
  'dlq.ts': `import amqp from 'amqplib';
import { exchanges, routingKeys } from '@acme/messaging-contracts';
export async function drainDeadLetters(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('stock.dlq', async (msg) => {
    if (!msg) return;
    channel.publish(exchanges.stock, routingKeys.reserveStockFailed, msg.content, { messageId: msg.properties.messageId });
    channel.ack(msg);
  });
}
`,
  // TypeORM query builder with a raw relative set: a redelivery decrements the stock twice.
  'stock.ts': `import amqp from 'amqplib';
import { DataSource } from 'typeorm';
const dataSource = new DataSource({ type: 'postgres' });
export async function reserveStock(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('stock.reserve', async (msg) => {
    if (!msg) return;
    const { productId, quantity } = JSON.parse(msg.content.toString()) as { productId: string; quantity: number };
    await dataSource.createQueryBuilder().update('product').set({ stock: () => \`stock - \${quantity}\` }).where('id = :id', { id: productId }).execute();
    channel.ack(msg);
  });
}
`,
  // The handler is a class field assigned in the constructor.
  'mailer.ts': `import { Consumer } from 'sqs-consumer';
import nodemailer from 'nodemailer';
const transport = nodemailer.createTransport({ host: 'smtp.example.com' });
export class WelcomeMailer {
  private readonly handle: (message: { MessageId?: string; Body?: string }) => Promise<void>;
  constructor() {
    this.handle = async (message) => {
      const user = JSON.parse(message.Body!) as { email: string };
      await transport.sendMail({ to: user.email, subject: 'Welcome' });
    };
  }
  start() {
    return Consumer.create({ queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/welcome', handleMessage: this.handle });
  }
}
`,
  // A producer emit inside a new Promise executor, awaited by the handler's helper.
  'emitter.ts': `import { Kafka } from 'kafkajs';
const kafka = new Kafka({ clientId: 'a', brokers: ['k:9092'] });
const producer = kafka.producer();
function emitOrderShipped(orderId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    producer.send({ topic: 'orders.shipped', messages: [{ value: orderId }] }).then(() => resolve(), reject);
  });
}
export async function run(): Promise<void> {
  const consumer = kafka.consumer({ groupId: 'shipping' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      await emitOrderShipped(message.value!.toString());
    },
  });
}
`,
  // A try around one upsert per item (the loop goes on), and a catch that records the failure
  // (entity marked inactive) and discards the job: neither swallows the failure.
  'profiles.ts': `import { Worker, Job } from 'bullmq';
import { PrismaClient } from '@prisma/client';
const prisma = new PrismaClient();
async function refreshProfiles(symbols: string[]): Promise<void> {
  for (const symbol of symbols) {
    try {
      await prisma.profile.upsert({ where: { symbol }, create: { symbol }, update: {} });
    } catch (error) {
      console.error(error);
      if (symbols.length === 1) throw error;
    }
  }
}
export const worker = new Worker('profiles', async (job: Job<{ symbols: string[]; symbol: string }>) => {
  try {
    await refreshProfiles(job.data.symbols);
  } catch (error) {
    if (error instanceof Error && error.message === 'delisted') {
      await prisma.profile.update({ where: { symbol: job.data.symbol }, data: { isActive: false } });
      return job.discard();
    }
    throw error;
  }
});
`,
};

for (const mode of MODES) {
  describe(`patterns from real repositories (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;
    // The rules these patterns are about (others, e.g. unsettled-message, judge other things).
    const RULES = ['ack-before-process', 'missing-event-id-check', 'non-idempotent-handler'];
    const findingsIn = (file: string) =>
      result.findings
        .filter((finding) => finding.location.filePath.endsWith(`/${file}`) && RULES.includes(finding.ruleId))
        .map((finding) => finding.ruleId);

    before(() => {
      project = new TestProject(mode, 'real-world');
      result = project.analyze(project.write(FILES));
    });
    after(() => project.remove());

    test('Prisma createMany({ skipDuplicates: true }) is idempotent: no dedup finding', () => {
      const consumer = result.consumers.find((candidate) => candidate.registration.source === 'prices')!;
      assert.equal(consumer.effects[0].description.class, 'idempotent');
      assert.deepEqual(findingsIn('prices.ts'), []);
    });

    test('publishing to a failure destination named by an unresolved constant is failure routing', () => {
      const consumer = result.consumers.find((candidate) => candidate.registration.source === 'stock.dlq')!;
      assert.match(consumer.effects[0].description.destination ?? '', /Failed/);
      assert.deepEqual(findingsIn('dlq.ts'), []);
    });

    test('a TypeORM query builder with a raw relative set is duplicate-unsafe', () => {
      const consumer = result.consumers.find((candidate) => candidate.registration.source === 'stock.reserve')!;
      assert.equal(consumer.effects[0].description.class, 'duplicate-unsafe');
      assert.deepEqual(findingsIn('stock.ts'), ['missing-event-id-check']);
    });

    test('a handler held in a class field assigned in the constructor is followed', () => {
      const consumer = result.consumers.find((candidate) => candidate.registration.source === 'welcome')!;
      assert.deepEqual(
        consumer.effects.map((effect) => effect.description.label),
        ['sendMail (email)'],
      );
      assert.deepEqual(findingsIn('mailer.ts'), ['missing-event-id-check']);
    });

    test('a best-effort try per item and a catch that records the failure are not swallowed failures', () => {
      assert.ok(result.consumers.some((candidate) => candidate.registration.source === 'profiles'));
      assert.deepEqual(
        result.findings
          .filter((finding) => finding.ruleId === 'swallowed-failure-ack')
          .map((finding) => `${finding.location.filePath.split('/').pop()}:${finding.location.line}`),
        [],
      );
    });

    test('work inside a new Promise executor completes with the awaited promise', () => {
      const consumer = result.consumers.find((candidate) => candidate.registration.library === 'kafkajs')!;
      assert.deepEqual(
        consumer.effects.map((effect) => effect.description.label),
        ['Kafka producer.send → orders.shipped'],
      );
      assert.deepEqual(
        findingsIn('emitter.ts'),
        ['missing-event-id-check'],
        'an unguarded publish, and no ack-before-process',
      );
    });
  });
}
