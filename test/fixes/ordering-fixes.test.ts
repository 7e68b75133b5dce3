/**
 * The ordering quick-fixes of ack-before-process (docs/rules/ack-before-process.md; server/src/rules/fixes/reorder.ts):
 * "Move … after the processing" and "Add the missing await" / "Await … instead of dropping its promise".
 *
 * Each scenario runs in both modes: analyse, pick the fix by title, apply it, compare the file with
 * the exact expected text (indentation kept), analyse again: the ack-before-process finding is gone,
 * no other finding appeared, and (typed) the file has no new compile errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, Finding, FixSuggestion } from '../../server/src/model';
import { MODES, TestProject, applyFix, findingsOf } from '../helpers/project';
import { assertCrlfAndTabs, indentWidthOf, withCrlfAndTabs } from '../helpers/file-conventions';

const RULE = 'ack-before-process';

const LOGGER = `type Fields = Record<string, unknown>;

export const logger = {
  debug: (message: string, fields: Fields = {}) => console.debug(JSON.stringify({ message, ...fields })),
  info: (message: string, fields: Fields = {}) => console.info(JSON.stringify({ message, ...fields })),
};
`;

interface FixScenario {
  name: string;
  /** Files of the project; the fix edits consumer.ts. */
  files: Record<string, string>;
  /** Line of the ack-before-process finding in consumer.ts. */
  line: number;
  title: string;
  expected: string;
}

const MOVE_ACK_AMQPLIB: FixScenario = {
  name: 'amqplib: move channel.ack() below a multi-line query, above the logging',
  line: 20,
  title: 'Move channel.ack() after the processing',
  files: {
    'logger.ts': LOGGER,
    'consumer.ts': `import amqp from 'amqplib';
import { Pool } from 'pg';
import { logger } from './logger';

interface AddressChanged {
  customerId: string;
  line1: string;
  city: string;
  postcode: string;
}

const pool = new Pool();

export async function startAddressSync(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('customers.address-changed', async (msg) => {
    if (!msg) return;
    const change = JSON.parse(msg.content.toString()) as AddressChanged;
    channel.ack(msg);
    await pool.query(
      'UPDATE customer_addresses SET line1 = $1, city = $2, postcode = $3 WHERE customer_id = $4',
      [change.line1, change.city, change.postcode, change.customerId],
    );
    logger.info('address synced', { customerId: change.customerId });
  });
}
`,
  },
  expected: `import amqp from 'amqplib';
import { Pool } from 'pg';
import { logger } from './logger';

interface AddressChanged {
  customerId: string;
  line1: string;
  city: string;
  postcode: string;
}

const pool = new Pool();

export async function startAddressSync(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('customers.address-changed', async (msg) => {
    if (!msg) return;
    const change = JSON.parse(msg.content.toString()) as AddressChanged;
    await pool.query(
      'UPDATE customer_addresses SET line1 = $1, city = $2, postcode = $3 WHERE customer_id = $4',
      [change.line1, change.city, change.postcode, change.customerId],
    );
    channel.ack(msg);
    logger.info('address synced', { customerId: change.customerId });
  });
}
`,
};

const MOVE_COMMIT_KAFKA: FixScenario = {
  name: 'kafkajs autoCommit:false: move a multi-line commitOffsets() below the last of two effects',
  line: 22,
  title: 'Move commitOffsets() after the processing',
  files: {
    'logger.ts': LOGGER,
    'consumer.ts': `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { logger } from './logger';

interface PriceChanged {
  sku: string;
  amountCents: number;
}

const kafka = new Kafka({ clientId: 'pricing', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'price-cache' });
const pool = new Pool();
const redis = new Redis();

export async function startPriceCache(): Promise<void> {
  await consumer.subscribe({ topic: 'pricing.changed' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const next = (BigInt(message.offset) + 1n).toString();
      await consumer.commitOffsets([
        { topic, partition, offset: next },
      ]);
      const price = JSON.parse(message.value?.toString() ?? '{}') as PriceChanged;
      await pool.query(
        'INSERT INTO prices (sku, amount_cents) VALUES ($1, $2) ON CONFLICT (sku) DO UPDATE SET amount_cents = EXCLUDED.amount_cents',
        [price.sku, price.amountCents],
      );
      await redis.set('price:' + price.sku, String(price.amountCents));
      logger.debug('price updated', { sku: price.sku });
    },
  });
}
`,
  },
  expected: `import { Kafka } from 'kafkajs';
import Redis from 'ioredis';
import { Pool } from 'pg';
import { logger } from './logger';

interface PriceChanged {
  sku: string;
  amountCents: number;
}

const kafka = new Kafka({ clientId: 'pricing', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'price-cache' });
const pool = new Pool();
const redis = new Redis();

export async function startPriceCache(): Promise<void> {
  await consumer.subscribe({ topic: 'pricing.changed' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const next = (BigInt(message.offset) + 1n).toString();
      const price = JSON.parse(message.value?.toString() ?? '{}') as PriceChanged;
      await pool.query(
        'INSERT INTO prices (sku, amount_cents) VALUES ($1, $2) ON CONFLICT (sku) DO UPDATE SET amount_cents = EXCLUDED.amount_cents',
        [price.sku, price.amountCents],
      );
      await redis.set('price:' + price.sku, String(price.amountCents));
      await consumer.commitOffsets([
        { topic, partition, offset: next },
      ]);
      logger.debug('price updated', { sku: price.sku });
    },
  });
}
`,
};

const MOVE_RESOLVE_OFFSET: FixScenario = {
  name: 'kafkajs eachBatch: move resolveOffset() below the update, above the heartbeat (the eachBatch order)',
  line: 19,
  title: 'Move resolveOffset() after the processing',
  files: {
    'consumer.ts': `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

interface ShipmentStatusChanged {
  shipmentId: string;
  status: 'picked' | 'packed' | 'shipped' | 'delivered';
}

const kafka = new Kafka({ clientId: 'shipments', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'shipment-status' });
const pool = new Pool();

export async function startShipmentStatus(): Promise<void> {
  await consumer.subscribe({ topic: 'shipments.status' });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        resolveOffset(message.offset);
        const event = JSON.parse(message.value?.toString() ?? '{}') as ShipmentStatusChanged;
        await pool.query('UPDATE shipments SET status = $1 WHERE id = $2', [event.status, event.shipmentId]);
        await heartbeat();
      }
    },
  });
}
`,
  },
  expected: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

interface ShipmentStatusChanged {
  shipmentId: string;
  status: 'picked' | 'packed' | 'shipped' | 'delivered';
}

const kafka = new Kafka({ clientId: 'shipments', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'shipment-status' });
const pool = new Pool();

export async function startShipmentStatus(): Promise<void> {
  await consumer.subscribe({ topic: 'shipments.status' });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        const event = JSON.parse(message.value?.toString() ?? '{}') as ShipmentStatusChanged;
        await pool.query('UPDATE shipments SET status = $1 WHERE id = $2', [event.status, event.shipmentId]);
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}
`,
};

const MOVE_ACK_WITH_COMMENT: FixScenario = {
  name: 'amqplib class worker: move this.channel.ack() together with its trailing comment',
  line: 21,
  title: 'Move channel.ack() after the processing',
  files: {
    'consumer.ts': `import type { Channel, ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

interface ConsentChanged {
  userId: string;
  marketing: boolean;
}

export class ConsentWorker {
  private readonly pool = new Pool();

  constructor(private readonly channel: Channel) {}

  async start(): Promise<void> {
    await this.channel.consume('privacy.consent', this.onMessage.bind(this));
  }

  private async onMessage(msg: ConsumeMessage | null): Promise<void> {
    if (!msg) return;
    const consent = JSON.parse(msg.content.toString()) as ConsentChanged;
    this.channel.ack(msg); // frees the prefetch slot
    await this.pool.query('UPDATE users SET marketing_consent = $1 WHERE id = $2', [consent.marketing, consent.userId]);
  }
}
`,
  },
  expected: `import type { Channel, ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

interface ConsentChanged {
  userId: string;
  marketing: boolean;
}

export class ConsentWorker {
  private readonly pool = new Pool();

  constructor(private readonly channel: Channel) {}

  async start(): Promise<void> {
    await this.channel.consume('privacy.consent', this.onMessage.bind(this));
  }

  private async onMessage(msg: ConsumeMessage | null): Promise<void> {
    if (!msg) return;
    const consent = JSON.parse(msg.content.toString()) as ConsentChanged;
    await this.pool.query('UPDATE users SET marketing_consent = $1 WHERE id = $2', [consent.marketing, consent.userId]);
    this.channel.ack(msg); // frees the prefetch slot
  }
}
`,
};

const PROJECTIONS = `import { Pool } from 'pg';

const pool = new Pool();

export class OrderProjections {
  async markShipped(orderId: string, shippedAt: string): Promise<void> {
    await pool.query("UPDATE order_summaries SET status = 'shipped', shipped_at = $2 WHERE order_id = $1", [orderId, shippedAt]);
  }
}
`;

const AWAIT_DROPPED_CALL_SQS: FixScenario = {
  name: 'sqs-consumer: add the missing await to a dropped service call',
  line: 16,
  title: 'Add the missing await to projections.markShipped()',
  files: {
    'services/projections.ts': PROJECTIONS,
    'consumer.ts': `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { OrderProjections } from './services/projections';

interface OrderShipped {
  orderId: string;
  shippedAt: string;
}

const projections = new OrderProjections();

export const shippedConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/order-shipped',
  handleMessage: async (message: Message) => {
    const event = JSON.parse(message.Body ?? '{}') as OrderShipped;
    projections.markShipped(event.orderId, event.shippedAt);
    return message;
  },
});
`,
  },
  expected: `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { OrderProjections } from './services/projections';

interface OrderShipped {
  orderId: string;
  shippedAt: string;
}

const projections = new OrderProjections();

export const shippedConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/order-shipped',
  handleMessage: async (message: Message) => {
    const event = JSON.parse(message.Body ?? '{}') as OrderShipped;
    await projections.markShipped(event.orderId, event.shippedAt);
    return message;
  },
});
`,
};

const AWAIT_VOID_FETCH_KAFKA: FixScenario = {
  name: 'kafkajs eachMessage: turn void fetch(...) into await fetch(...)',
  line: 17,
  title: 'Await fetch() instead of dropping its promise',
  files: {
    'consumer.ts': `import { Kafka } from 'kafkajs';

interface InventoryLevel {
  sku: string;
  available: number;
}

const STOREFRONT_API = 'https://storefront.internal.example.com/inventory/';
const kafka = new Kafka({ clientId: 'storefront-sync', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'storefront-sync' });

export async function startStorefrontSync(): Promise<void> {
  await consumer.subscribe({ topic: 'inventory.levels' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const level = JSON.parse(message.value?.toString() ?? '{}') as InventoryLevel;
      void fetch(STOREFRONT_API + encodeURIComponent(level.sku), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ available: level.available }),
      });
    },
  });
}
`,
  },
  expected: `import { Kafka } from 'kafkajs';

interface InventoryLevel {
  sku: string;
  available: number;
}

const STOREFRONT_API = 'https://storefront.internal.example.com/inventory/';
const kafka = new Kafka({ clientId: 'storefront-sync', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'storefront-sync' });

export async function startStorefrontSync(): Promise<void> {
  await consumer.subscribe({ topic: 'inventory.levels' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const level = JSON.parse(message.value?.toString() ?? '{}') as InventoryLevel;
      await fetch(STOREFRONT_API + encodeURIComponent(level.sku), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ available: level.available }),
      });
    },
  });
}
`,
};

const ARCHIVE = `export interface ArchivedOrder {
  orderId: string;
  customerId: string;
  totalCents: number;
}

const ARCHIVE_BUCKET = 'https://archive.example.com/orders/';

export class OrderArchive {
  async store(order: ArchivedOrder): Promise<void> {
    await fetch(ARCHIVE_BUCKET + order.orderId + '.json', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(order),
    });
  }
}
`;

const AWAIT_BEFORE_ACK_AMQPLIB: FixScenario = {
  name: 'amqplib: add the missing await to work started before the ack',
  line: 12,
  title: 'Add the missing await to archive.store()',
  files: {
    'services/archive.ts': ARCHIVE,
    'consumer.ts': `import amqp from 'amqplib';
import { OrderArchive, type ArchivedOrder } from './services/archive';

const archive = new OrderArchive();

export async function startArchiver(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('orders.archive', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as ArchivedOrder;
    archive.store(order);
    channel.ack(msg);
  });
}
`,
  },
  expected: `import amqp from 'amqplib';
import { OrderArchive, type ArchivedOrder } from './services/archive';

const archive = new OrderArchive();

export async function startArchiver(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('orders.archive', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as ArchivedOrder;
    await archive.store(order);
    channel.ack(msg);
  });
}
`,
};

const SCENARIOS: FixScenario[] = [
  MOVE_ACK_AMQPLIB,
  MOVE_COMMIT_KAFKA,
  MOVE_RESOLVE_OFFSET,
  MOVE_ACK_WITH_COMMENT,
  AWAIT_DROPPED_CALL_SQS,
  AWAIT_VOID_FETCH_KAFKA,
  AWAIT_BEFORE_ACK_AMQPLIB,
];

// ---- where no mechanical fix exists ----------------------------------------------------------

interface NoFixScenario {
  name: string;
  files: Record<string, string>;
  line: number;
  /** Text the finding's message must contain, to be sure it is the finding meant. */
  message: string;
}

const NO_FIX_WORK_IN_BLOCK: NoFixScenario = {
  name: 'amqplib: the work after the ack is inside an if block (moving the ack is not mechanical)',
  line: 17,
  message: 'channel.ack() settles the message before HTTP PUT',
  files: {
    'consumer.ts': `import amqp from 'amqplib';

interface PreferencesChanged {
  userId: string;
  locale: string;
  syncToCrm: boolean;
}

const CRM_API = 'https://crm.internal.example.com/contacts/';

export async function startPreferences(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('users.preferences', async (msg) => {
    if (!msg) return;
    const change = JSON.parse(msg.content.toString()) as PreferencesChanged;
    channel.ack(msg);
    if (change.syncToCrm) {
      await fetch(CRM_API + change.userId, { method: 'PUT', body: JSON.stringify({ locale: change.locale }) });
    }
  });
}
`,
  },
};

const NO_FIX_FOREACH_AWAITED_INSIDE: NoFixScenario = {
  name: 'sqs-consumer: forEach(async ...) with the write awaited inside the callback',
  line: 12,
  message: 'UPDATE products',
  files: {
    'consumer.ts': `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';

const pool = new Pool();

export const priceConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/price-updates',
  handleMessageBatch: async (messages: Message[]) => {
    messages.forEach(async (message) => {
      const { sku, priceCents } = JSON.parse(message.Body ?? '{}') as { sku: string; priceCents: number };
      await pool.query('UPDATE products SET price_cents = $1 WHERE sku = $2', [priceCents, sku]);
    });
    return messages;
  },
});
`,
  },
};

const NO_FIX_FOREACH_DROPPED_INSIDE: NoFixScenario = {
  name: 'sqs-consumer: forEach(async ...) whose callback drops the call (an await there would not make the handler wait)',
  line: 13,
  message: 'SearchIndex.put()',
  files: {
    'services/search.ts': `export class SearchIndex {
  constructor(private readonly baseUrl: string) {}

  async put(id: string, document: object): Promise<void> {
    await fetch(this.baseUrl + '/_doc/' + encodeURIComponent(id), { method: 'PUT', body: JSON.stringify(document) });
  }
}
`,
    'consumer.ts': `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';
import { SearchIndex } from './services/search';

const search = new SearchIndex('https://search.internal.example.com/articles');

export const articleConsumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/articles-published',
  handleMessageBatch: async (messages: Message[]) => {
    messages.forEach(async (message) => {
      const article = JSON.parse(message.Body ?? '{}') as { id: string; title: string; body: string };
      const document = { title: article.title, body: article.body };
      search.put(article.id, document);
    });
    return messages;
  },
});
`,
  },
};

const NO_FIX_FOREACH_BEFORE_ACK: NoFixScenario = {
  name: 'amqplib: forEach(async ...) before the ack',
  line: 13,
  message: 'before channel.ack() runs',
  files: {
    'consumer.ts': `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startTagging(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  const channel = await connection.createChannel();
  await channel.consume('catalog.tags', async (msg) => {
    if (!msg) return;
    const { productId, tags } = JSON.parse(msg.content.toString()) as { productId: string; tags: string[] };
    tags.forEach(async (tag) => {
      await pool.query(
        'INSERT INTO product_tags (product_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING',
        [productId, tag],
      );
    });
    channel.ack(msg);
  });
}
`,
  },
};

const NO_FIX_SCENARIOS: NoFixScenario[] = [
  NO_FIX_WORK_IN_BLOCK,
  NO_FIX_FOREACH_AWAITED_INSIDE,
  NO_FIX_FOREACH_DROPPED_INSIDE,
  NO_FIX_FOREACH_BEFORE_ACK,
];

// ---- helpers -----------------------------------------------------------------------------------

function describeFindings(findings: Finding[]): string {
  return (
    findings
      .map(
        (finding) =>
          `${finding.ruleId} ${finding.location.filePath.split('/').pop()}:${finding.location.line} ${finding.message}`,
      )
      .join('\n') || '(none)'
  );
}

/** A finding's identity across an edit that shifts lines: rule, file and message (line numbers masked). */
function findingKey(finding: Finding): string {
  return `${finding.ruleId}|${finding.location.filePath}|${finding.message.replace(/\bline \d+/g, 'line N')}`;
}

/** Entries of `after` not matched one-to-one by an entry of `before`. */
function newEntries(before: string[], after: string[]): string[] {
  const remaining = [...before];
  return after.filter((entry) => {
    const index = remaining.indexOf(entry);
    if (index < 0) return true;
    remaining.splice(index, 1);
    return false;
  });
}

function analyzeAll(project: TestProject, files: string[]): ReturnType<TestProject['analyze']> {
  const result = project.analyze(files);
  assert.deepEqual(result.problems, [], 'the analysis reported problems');
  return result;
}

function findingAt(result: AnalysisResult, file: string, line: number): Finding | undefined {
  return findingsOf(result, RULE, file).find((finding) => finding.location.line === line);
}

// ---- the fixes that apply ----------------------------------------------------------------------

for (const mode of MODES) {
  describe(`ordering fixes (${mode})`, () => {
    for (const scenario of SCENARIOS) {
      describe(scenario.name, () => {
        let project: TestProject;
        let consumer: string;
        let beforeResult: ReturnType<TestProject['analyze']>;
        let afterResult: ReturnType<TestProject['analyze']> | undefined;
        let finding: Finding | undefined;
        let fix: FixSuggestion | undefined;
        let errorsBefore: string[] = [];

        before(() => {
          project = new TestProject(mode, 'ordering-fix');
          const files = project.write(scenario.files);
          consumer = project.path('consumer.ts');
          beforeResult = analyzeAll(project, files);
          errorsBefore = beforeResult.semanticErrors(consumer);
          finding = findingAt(beforeResult, consumer, scenario.line);
          fix = finding?.fixes.find((candidate) => candidate.title === scenario.title);
          if (fix) {
            applyFix(fix);
            afterResult = analyzeAll(project, files);
          }
        });

        after(() => project?.remove());

        test('the finding offers the fix, as a suggestion (not a safe fix)', () => {
          assert.ok(
            finding,
            `no ${RULE} finding on line ${scenario.line}:\n${describeFindings(beforeResult.findings)}`,
          );
          assert.ok(
            fix,
            `no fix titled ${JSON.stringify(scenario.title)}; offered: ${JSON.stringify(finding.fixes.map((candidate) => candidate.title))}`,
          );
          assert.equal(fix.safe, false, 'reordering changes behaviour, so the fix must not be marked safe');
          assert.ok(
            fix.edits.every((edit) => edit.filePath === consumer),
            'the fix edits only the handler file',
          );
        });

        test('the fixed file has exactly the expected text', () => {
          assert.ok(fix, 'no fix to apply');
          assert.equal(project.read('consumer.ts'), scenario.expected);
        });

        test('in a CRLF, tab-indented copy the fix keeps both', () => {
          const width = indentWidthOf(scenario.files['consumer.ts']);
          const copy = new TestProject(mode, 'ordering-fix-crlf');
          try {
            const files = copy.write(
              Object.fromEntries(
                Object.entries(scenario.files).map(([name, text]) => [name, withCrlfAndTabs(text, width)]),
              ),
            );
            const copied = findingAt(analyzeAll(copy, files), copy.path('consumer.ts'), scenario.line);
            const copiedFix = copied?.fixes.find((candidate) => candidate.title === scenario.title);
            assert.ok(copiedFix, 'the copy offers the fix too');
            applyFix(copiedFix);
            const text = copy.read('consumer.ts');
            assertCrlfAndTabs(text, `after '${copiedFix.title}'`);
            assert.equal(text, withCrlfAndTabs(scenario.expected, width));
          } finally {
            copy.remove();
          }
        });

        test('after the fix the ack-before-process finding is gone and no finding of any rule is new', () => {
          assert.ok(afterResult, 'no fix was applied');
          assert.deepEqual(
            findingsOf(afterResult, RULE, consumer),
            [],
            `still reported:\n${describeFindings(findingsOf(afterResult, RULE, consumer))}`,
          );
          const added = newEntries(beforeResult.findings.map(findingKey), afterResult.findings.map(findingKey));
          assert.deepEqual(added, [], `new findings after the fix:\n${added.join('\n')}`);
        });

        if (mode === 'typed') {
          test('the fix adds no compile errors (typed)', () => {
            assert.ok(afterResult, 'no fix was applied');
            const added = newEntries(errorsBefore, afterResult.semanticErrors(consumer));
            assert.deepEqual(added, [], `new compile errors:\n${added.join('\n')}`);
          });
        }
      });
    }
  });

  // ---- where the fixes must not be offered ------------------------------------------------------

  describe(`ordering fixes not offered where they are not mechanical (${mode})`, () => {
    let project: TestProject;
    let result: ReturnType<TestProject['analyze']>;
    const consumers = new Map<string, string>();

    before(() => {
      project = new TestProject(mode, 'ordering-nofix');
      const all: string[] = [];
      NO_FIX_SCENARIOS.forEach((scenario, index) => {
        const folder = `case-${index}`;
        all.push(
          ...project.write(
            Object.fromEntries(Object.entries(scenario.files).map(([name, text]) => [`${folder}/${name}`, text])),
          ),
        );
        consumers.set(scenario.name, project.path(`${folder}/consumer.ts`));
      });
      result = analyzeAll(project, all);
    });

    after(() => project?.remove());

    for (const scenario of NO_FIX_SCENARIOS) {
      test(scenario.name, () => {
        const file = consumers.get(scenario.name)!;
        const finding = findingAt(result, file, scenario.line);
        assert.ok(
          finding,
          `no ${RULE} finding on line ${scenario.line}:\n${describeFindings(findingsOf(result, RULE, file))}`,
        );
        assert.ok(finding.message.includes(scenario.message), `not the finding meant:\n${finding.message}`);
        assert.deepEqual(
          finding.fixes.map((candidate) => candidate.title),
          [],
          'neither moving the ack nor adding an await is a mechanical fix here',
        );
      });
    }
  });
}
