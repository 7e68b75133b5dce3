/**
 * A message bus written as layers of classes (docs/model.md, "Wrappers, dispatch tables and where
 * findings go"): a transport class implementing a type alias built from the bus interface; a
 * subscription class constructed with a handler object, whose own method it registers and which
 * calls that object's `process`; the message handed to it as an object literal whose `ack` arrow
 * settles the broker message; failures reported through a helper to an error topic. Each shape is
 * written anew here, and checked typed and untyped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ConsumerReport } from '../../server/src/model';
import type { LintRun } from '../../server/src/pipeline/api';
import { runLint } from '../../server/src/pipeline/lint';
import { MODES, TestProject, configWith } from '../helpers/project';

const base = (file: string): string => file.split('/').pop()!;
const where = (consumer: ConsumerReport): string =>
  `${consumer.handlerName}@${base(consumer.handlerRange.filePath)}:${consumer.handlerRange.line}`;
const findingLinesIn = (run: LintRun, file: string): string[] =>
  run.findings
    .filter((finding) => finding.location.filePath.endsWith(`/${file}`))
    .map((finding) => `${finding.ruleId}:${finding.location.line}`);
const lint = (project: TestProject): LintRun =>
  runLint({ cwd: project.root, paths: [project.root], config: configWith() });

const TRANSPORT: Record<string, string> = {
  // The only file that imports the broker: a synchronous try around the delivery, whose catch drops
  // a message that cannot be parsed.
  'bus/client.ts': `import type { Channel, ConsumeMessage } from 'amqplib';

export type RawCallback = (body: unknown, raw: ConsumeMessage) => void;

export class BrokerClient {
  constructor(private channel: Channel) {}

  ack(raw: ConsumeMessage): void {
    this.channel.ack(raw);
  }

  send(exchange: string, body: unknown): boolean {
    return this.channel.publish(exchange, '', Buffer.from(JSON.stringify(body)), { messageId: String(Date.now()) });
  }

  listen(queue: string, callback: RawCallback): Promise<unknown> {
    const channel = this.channel;
    return channel.consume(queue, onDelivery, { noAck: false });

    function onDelivery(raw: ConsumeMessage | null): void {
      if (!raw) return;
      try {
        callback(JSON.parse(raw.content.toString()), raw);
      } catch (err) {
        console.warn('unreadable message', err);
        channel.nack(raw, false, false);
      }
    }
  }
}
`,
  'bus/api.ts': `export interface Incoming {
  data: { id: string };
  ack: () => void;
}

export interface Bus {
  publish(topic: string, data: unknown): Promise<void>;
  subscribe(topic: string, listener: (message: Incoming) => void): Promise<unknown>;
}

/** What a transport implements: the bus's two calls, and closing. */
export type BusClient = Pick<Bus, 'publish' | 'subscribe'> & { close(): Promise<void> };

export interface Handler {
  name: string;
  errorTopic: string;
  validate(data: { id: string }): boolean;
  process(data: { id: string }): Promise<void>;
}
`,
  'bus/rabbit-bus.ts': `import { BrokerClient, RawCallback } from './client';
import { BusClient, Incoming } from './api';

export class RabbitBus implements BusClient {
  constructor(private client: BrokerClient) {}

  async publish(topic: string, data: unknown): Promise<void> {
    this.client.send(topic, data);
  }

  subscribe(topic: string, listener: (message: Incoming) => void): Promise<unknown> {
    const onRaw: RawCallback = (body, raw) => {
      listener({ data: body as Incoming['data'], ack: () => this.client.ack(raw) });
    };
    return this.client.listen(topic, onRaw);
  }

  async close(): Promise<void> {}
}
`,
  // Held through the Bus interface; constructed with the handler object it serves.
  'bus/subscription.ts': `import { Bus, Handler, Incoming } from './api';

export class HandlerSubscription {
  constructor(
    private handler: Handler,
    private bus: Bus,
  ) {}

  start(): Promise<unknown> {
    return this.bus.subscribe(this.handler.name, this.onMessage.bind(this));
  }

  private async onMessage(message: Incoming): Promise<void> {
    const valid = this.handler.validate(message.data);
    if (!valid) {
      message.ack();
      return;
    }
    try {
      await this.handler.process(message.data);
      message.ack();
    } catch (error) {
      await this.report(String(error));
      message.ack();
    }
  }

  private report(reason: string): Promise<void> {
    return this.bus.publish(this.handler.errorTopic, { reason });
  }
}
`,
};

/** A handler object: its topic name, a check of the payload, and the SQL its process runs. */
function processor(className: string, topic: string, validate: string, sql: string): string {
  return `import { Pool } from 'pg';
import { Handler } from '../bus/api';

const pool = new Pool();

export class ${className} implements Handler {
  name = '${topic}';
  errorTopic = '${topic}.errors';

  validate(data: { id: string }): boolean {
    return ${validate};
  }

  async process(data: { id: string }): Promise<void> {
    await pool.query('${sql}', [data.id]);
  }
}
`;
}

const PROCESSORS: Record<string, string> = {
  'orders/invoices.ts': processor(
    'InvoiceProcessor',
    'invoices',
    '!!data.id',
    'INSERT INTO invoices (order_id) VALUES ($1)',
  ),
  'orders/audit.ts': processor(
    'AuditProcessor',
    'audit',
    "typeof data.id === 'string'",
    'INSERT INTO audit (order_id) VALUES ($1) ON CONFLICT DO NOTHING',
  ),
  // A registry function forwards the handler object to the subscription's constructor.
  'orders/main.ts': `import { BrokerClient } from '../bus/client';
import { RabbitBus } from '../bus/rabbit-bus';
import { HandlerSubscription } from '../bus/subscription';
import { Handler } from '../bus/api';
import { InvoiceProcessor } from './invoices';
import { AuditProcessor } from './audit';

export async function main(channel: any): Promise<void> {
  const bus = new RabbitBus(new BrokerClient(channel));
  const register = (handler: Handler) => new HandlerSubscription(handler, bus).start();
  await register(new InvoiceProcessor());
  await register(new AuditProcessor());
}
`,
};

// The same subscription with an ack before the work, to see where the finding goes.
const EARLY_ACK = TRANSPORT['bus/subscription.ts'].replace(
  `    try {
      await this.handler.process(message.data);
      message.ack();`,
  `    try {
      message.ack();
      await this.handler.process(message.data);`,
);

for (const mode of MODES) {
  describe(`a message bus written as layers of classes (${mode})`, () => {
    let project: TestProject;
    let result: LintRun;

    before(() => {
      project = new TestProject(mode, 'strategy-classes');
      project.write({ ...TRANSPORT, ...PROCESSORS });
      result = lint(project);
    });
    after(() => project.remove());

    test('each handler object the subscription is constructed with is a consumer, its process the handler', () => {
      assert.deepEqual(result.consumers.map(where).sort(), [
        'AuditProcessor.process@audit.ts:14',
        'InvoiceProcessor.process@invoices.ts:14',
      ]);
      for (const consumer of result.consumers) {
        assert.equal(consumer.registration.library, 'amqplib');
        assert.equal(consumer.incomplete, undefined);
        assert.ok(consumer.registration.location.filePath.endsWith('/orders/main.ts'));
      }
    });

    test("the transport implementing a type alias of the bus is reached through the bus's interface", () => {
      const invoices = result.consumers.find((consumer) => consumer.handlerName === 'InvoiceProcessor.process')!;
      assert.match(invoices.registration.form, /consume via /);
      assert.deepEqual(
        invoices.effects.map((effect) => effect.description.label).filter((label) => label.startsWith('INSERT')),
        ['INSERT INTO invoices'],
      );
    });

    test('message.ack() runs the ack arrow of the object the transport passed: the message is settled', () => {
      for (const consumer of result.consumers)
        assert.ok(
          consumer.settles.some((settle) => settle.kind === 'ack'),
          `${where(consumer)} settles: ${consumer.settles.map((settle) => settle.label).join(', ')}`,
        );
      assert.deepEqual(findingLinesIn(result, 'bus/subscription.ts'), []);
      assert.deepEqual(findingLinesIn(result, 'bus/client.ts'), []);
    });

    test('only the unguarded insert is reported; the error-topic report is failure routing', () => {
      assert.deepEqual(findingLinesIn(result, 'orders/invoices.ts'), ['missing-event-id-check:14']);
      assert.deepEqual(findingLinesIn(result, 'orders/audit.ts'), []);
      const invoices = result.consumers.find((consumer) => consumer.handlerName === 'InvoiceProcessor.process')!;
      const report = invoices.effects.find((effect) => effect.description.category === 'publish');
      assert.ok(report, invoices.effects.map((effect) => effect.description.label).join(', '));
      assert.match(report.description.destination ?? '', /this\.handler\.errorTopic/);
    });

    test('an ack before the work is reported on message.ack() in the subscription; the catch acks it again', () => {
      const early = new TestProject(mode, 'strategy-classes-early-ack');
      try {
        early.write({ ...TRANSPORT, ...PROCESSORS, 'bus/subscription.ts': EARLY_ACK });
        const run = lint(early);
        assert.deepEqual(findingLinesIn(run, 'bus/subscription.ts'), ['ack-before-process:20', 'double-ack:24']);
        assert.deepEqual(findingLinesIn(run, 'bus/rabbit-bus.ts'), []);
      } finally {
        early.remove();
      }
    });
  });
}

// A handler object whose process catches its own failure and only logs it.
const LOGGING_PROCESSOR = processor(
  'LedgerProcessor',
  'ledger',
  '!!data.id',
  'INSERT INTO ledger (order_id) VALUES ($1)',
).replace(
  "    await pool.query('INSERT INTO ledger (order_id) VALUES ($1)', [data.id]);",
  `    try {
      await pool.query('INSERT INTO ledger (order_id) VALUES ($1)', [data.id]);
    } catch (err) {
      console.error('ledger write failed', err);
    }`,
);

describe("a handler's own catch under a shared subscription that acks after it", () => {
  for (const mode of MODES)
    test(`reported on that catch, not on the subscription's ack that serves every handler (${mode})`, () => {
      const project = new TestProject(mode, 'strategy-classes-swallowed');
      try {
        project.write({
          ...TRANSPORT,
          ...PROCESSORS,
          'orders/ledger.ts': LOGGING_PROCESSOR,
          'orders/main.ts': PROCESSORS['orders/main.ts']
            .replace("import { AuditProcessor } from './audit';", "import { LedgerProcessor } from './ledger';")
            .replace('new AuditProcessor()', 'new LedgerProcessor()'),
        });
        const run = lint(project);
        assert.deepEqual(findingLinesIn(run, 'orders/ledger.ts'), [
          'missing-event-id-check:14',
          'swallowed-failure-ack:17',
        ]);
        // The invoice processor hands its failures on: the ack it shares with the ledger is not reported.
        assert.deepEqual(findingLinesIn(run, 'orders/invoices.ts'), ['missing-event-id-check:14']);
        assert.deepEqual(findingLinesIn(run, 'bus/subscription.ts'), []);
      } finally {
        project.remove();
      }
    });
});

describe('a subscription class whose constructions are not found', () => {
  for (const mode of MODES)
    test(`its registered method stays the handler (${mode})`, () => {
      const project = new TestProject(mode, 'strategy-classes-unbuilt');
      try {
        const files = { ...TRANSPORT };
        project.write({
          ...files,
          // The bus and the subscription are built, but the handler object comes from elsewhere.
          'orders/main.ts': `import { BrokerClient } from '../bus/client';
import { RabbitBus } from '../bus/rabbit-bus';
import { HandlerSubscription } from '../bus/subscription';
import { Handler } from '../bus/api';

export async function main(channel: any, handler: Handler): Promise<void> {
  const bus = new RabbitBus(new BrokerClient(channel));
  await new HandlerSubscription(handler, bus).start();
}
`,
        });
        const run = lint(project);
        assert.deepEqual(run.consumers.map(where), ['HandlerSubscription.onMessage@subscription.ts:13']);
      } finally {
        project.remove();
      }
    });
});
