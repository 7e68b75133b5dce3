/**
 * How a handler reaches its registration (docs/model.md, "Wrappers, dispatch tables and where
 * findings go"): through a factory's closure, an options object, a constructor's field, an
 * interface, a registry, a setter, a chain of wrappers, or a callback that only forwards the
 * message. Each shape is written anew here, and checked typed and untyped.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, ConsumerReport } from '../../server/src/model';
import { runLint } from '../../server/src/pipeline/lint';
import { MODES, TestProject, configWith, findingLinesIn } from '../helpers/project';

const base = (file: string): string => file.split('/').pop()!;
const where = (consumer: ConsumerReport): string =>
  `${consumer.handlerName}@${base(consumer.handlerRange.filePath)}:${consumer.handlerRange.line}`;

const FILES: Record<string, string> = {
  // A factory returns the closure the Worker runs; the closure runs the function it was given
  // inside a project helper that hands it to a library (AsyncLocalStorage.run).
  'jobs/context.ts': `import { AsyncLocalStorage } from 'node:async_hooks';
const store = new AsyncLocalStorage<{ jobId?: string }>();
export function withJobContext<T>(context: { jobId?: string }, fn: () => Promise<T>): Promise<T> {
  return store.run(context, fn);
}
export function jobHandler<T>(handler: (job: { id?: string; data: T }) => Promise<void>) {
  return async (job: { id?: string; data: T }) => {
    return await withJobContext({ jobId: job.id }, async () => {
      return await handler(job);
    });
  };
}
`,
  'jobs/invoices.ts': `import { Worker } from 'bullmq';
import { Pool } from 'pg';
import { jobHandler } from './context';
const pool = new Pool();
export const invoices = new Worker('invoices', jobHandler(issueInvoice));
async function issueInvoice(job: { id?: string; data: { orderId: string } }): Promise<void> {
  await pool.query('INSERT INTO invoices (order_id) VALUES ($1)', [job.data.orderId]);
}
`,

  // A static registry method: new Worker(name, Registry.instrument(processor)). Callers are in a
  // file that imports no broker library, and a test (which does import bullmq) calls it too.
  'queues/registry.ts': `import { Worker, type Job } from 'bullmq';
export class QueueRegistry {
  private static workers: Record<string, Worker> = {};
  private static instrument(processor: (job: Job) => Promise<unknown>, name: string) {
    return async (job: Job) => {
      const started = Date.now();
      const result = await processor(job);
      console.log(name, Date.now() - started);
      return result;
    };
  }
  static register(name: string, processor: (job: Job) => Promise<unknown>): void {
    if (QueueRegistry.workers[name]) return;
    QueueRegistry.workers[name] = new Worker(name, QueueRegistry.instrument(processor, name));
  }
}
`,
  'queues/app.ts': `import { QueueRegistry } from './registry';
import { sendDigest } from './digest';
export function startQueues(): void {
  QueueRegistry.register('digest', sendDigest);
}
`,
  'queues/digest.ts': `import nodemailer from 'nodemailer';
const transport = nodemailer.createTransport({ host: 'smtp.example.com' });
export async function sendDigest(job: { id?: string; data: { email: string } }): Promise<void> {
  await transport.sendMail({ to: job.data.email, subject: 'Your digest' });
}
`,
  'queues/registry.test.ts': `import { Job } from 'bullmq';
import { QueueRegistry } from './registry';
export function registersAWorker(): void {
  QueueRegistry.register('probe', async (job: Job) => job.id);
}
`,

  // An options object: the wrapper calls params.onMessage, and settles after it.
  'bus/service-bus.ts': `import { ServiceBusClient } from '@azure/service-bus';
export interface QueueProcessorParams {
  queueName: string;
  onMessage: (message: { messageId?: string; body: unknown }) => Promise<void>;
  onError?: (error: Error) => void;
}
export class ServiceBus {
  private readonly client = new ServiceBusClient('Endpoint=sb://example/');
  createQueueProcessor(params: QueueProcessorParams): void {
    const receiver = this.client.createReceiver(params.queueName);
    receiver.subscribe(
      {
        processMessage: async (message) => {
          await params.onMessage(message);
          await receiver.completeMessage(message);
        },
        processError: async (args) => {
          params.onError?.(args.error as Error);
        },
      },
      { autoCompleteMessages: false },
    );
  }
}
`,
  'bus/leads.ts': `import { Pool } from 'pg';
import { ServiceBus } from './service-bus';
const pool = new Pool();
export class LeadsConsumer {
  constructor(private readonly bus: ServiceBus) {}
  start(): void {
    this.bus.createQueueProcessor({
      queueName: 'leads',
      onMessage: (message) => this.handleMessage(message),
      onError: (error) => console.error(error),
    });
  }
  private async handleMessage(message: { messageId?: string; body: unknown }): Promise<void> {
    const lead = message.body as { email: string };
    await pool.query('INSERT INTO leads (email) VALUES ($1)', [lead.email]);
  }
}
`,

  // A constructor's field, reached through an interface: queue.createConsumer(topic, callback).
  'platform/queue.ts': `export interface ConsumerMessage { workspace: string; value: unknown }
export interface PlatformQueue {
  createConsumer(topic: string, onMessage: (message: ConsumerMessage) => Promise<void>): void;
}
`,
  'platform/kafka.ts': `import { Kafka } from 'kafkajs';
import type { ConsumerMessage, PlatformQueue } from './queue';
class QueueConsumer {
  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly onMessage: (message: ConsumerMessage) => Promise<void>,
  ) {
    void this.start();
  }
  private async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.topic });
    await consumer.subscribe({ topic: this.topic });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const value = JSON.parse(message.value?.toString() ?? '{}') as unknown;
        await this.onMessage({ workspace: message.key?.toString() ?? '', value });
      },
    });
  }
}
class KafkaQueue implements PlatformQueue {
  private readonly kafka = new Kafka({ clientId: 'platform', brokers: ['kafka:9092'] });
  createConsumer(topic: string, onMessage: (message: ConsumerMessage) => Promise<void>): void {
    new QueueConsumer(this.kafka, topic, onMessage);
  }
}
export function getPlatformQueue(): PlatformQueue {
  return new KafkaQueue();
}
`,
  'platform/mailer.ts': `import { Pool } from 'pg';
import { getPlatformQueue } from './kafka';
const pool = new Pool();
export function startMailer(): void {
  const queue = getPlatformQueue();
  queue.createConsumer('mail-requests', async (message) => {
    await pool.query('INSERT INTO outbox (workspace) VALUES ($1)', [message.workspace]);
  });
}
`,

  // A registry: registerConsumer pushes a config; the receive loop runs config.worker.process.
  'sqs/consumer.ts': `import { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';
export interface SqsWorker {
  process(message: { type: string; payload: unknown }): Promise<void>;
}
interface ConsumerConfig { name: string; queueUrl: string; worker: SqsWorker }
export class SqsConsumerService {
  private readonly sqs = new SQSClient({});
  private readonly consumers: ConsumerConfig[] = [];
  registerConsumer(config: ConsumerConfig): void {
    this.consumers.push(config);
  }
  start(): void {
    for (const config of this.consumers) void this.poll(config);
  }
  private async poll(config: ConsumerConfig): Promise<void> {
    for (;;) {
      const response = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: config.queueUrl }));
      for (const msg of response.Messages ?? []) {
        const envelope = JSON.parse(msg.Body ?? '{}') as { type: string; payload: unknown };
        await config.worker.process(envelope);
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: config.queueUrl, ReceiptHandle: msg.ReceiptHandle! }));
      }
    }
  }
}
`,
  'sqs/notify.worker.ts': `import { Pool } from 'pg';
import type { SqsWorker } from './consumer';
const pool = new Pool();
export class NotifyWorker implements SqsWorker {
  async process(message: { type: string; payload: unknown }): Promise<void> {
    await pool.query('INSERT INTO notifications (kind) VALUES ($1)', [message.type]);
  }
}
`,
  'sqs/module.ts': `import { SqsConsumerService } from './consumer';
import { NotifyWorker } from './notify.worker';
export class SqsModule {
  constructor(
    private readonly consumer: SqsConsumerService,
    private readonly notifyWorker: NotifyWorker,
  ) {}
  onModuleInit(): void {
    this.consumer.registerConsumer({ name: 'notify', queueUrl: 'https://sqs/notify', worker: this.notifyWorker });
  }
}
`,

  // A setter stores the callback in a module variable the handler calls.
  'ender/consumer.ts': `import { Kafka } from 'kafkajs';
let onMessageFunction: (topic: string, value: string) => Promise<void>;
export function updateOnMessageFunction(onMessage: (topic: string, value: string) => Promise<void>): void {
  onMessageFunction = onMessage;
}
export async function startConsumer(): Promise<void> {
  const consumer = new Kafka({ clientId: 'ender', brokers: ['kafka:9092'] }).consumer({ groupId: 'ender' });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      await onMessageFunction(topic, message.value?.toString() ?? '');
    },
  });
}
`,
  'ender/controller.ts': `import { Pool } from 'pg';
import { updateOnMessageFunction } from './consumer';
const pool = new Pool();
export function connect(): void {
  updateOnMessageFunction((_topic, value) => onBlock(value));
}
async function onBlock(value: string): Promise<void> {
  await pool.query('INSERT INTO blocks (raw) VALUES ($1)', [value]);
}
`,

  // A callback that only forwards the message: the method it calls is the handler.
  'pubsub/emulator.ts': `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';
const pool = new Pool();
export class Emulator {
  private readonly pubsub = new PubSub();
  listen(topicName: string): void {
    const sub = this.pubsub.subscription('triggers');
    sub.on('message', (message: Message) => this.onMessage(topicName, message));
  }
  private async onMessage(topicName: string, message: Message): Promise<void> {
    await pool.query('INSERT INTO deliveries (topic) VALUES ($1)', [topicName]);
    message.ack();
  }
}
`,

  // Not wrappers: a dependency's method through an injected interface, and a Promise's resolve.
  'rpc/logger.ts': `export interface AppLogger { error(message: string): void }
`,
  'rpc/reply.ts': `import amqp from 'amqplib';
import type { AppLogger } from './logger';
import { Pool } from 'pg';
const pool = new Pool();
export class ReplyListener {
  constructor(private readonly logger: AppLogger) {}
  async waitForReply(correlationId: string): Promise<unknown> {
    const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
    return new Promise((resolve) => {
      void channel.consume('replies', (msg) => {
        if (!msg) return;
        const reply = JSON.parse(msg.content.toString()) as { correlationId: string };
        if (reply.correlationId === correlationId) {
          resolve(reply);
          channel.ack(msg);
        }
      });
    });
  }
  async listen(): Promise<void> {
    const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
    await channel.consume('audit', async (msg) => {
      if (!msg) return;
      this.logger.error('audit entry');
      await pool.query('INSERT INTO audit (body) VALUES ($1)', [msg.content.toString()]);
      channel.ack(msg);
    });
  }
}
`,
  // Two consumers hand their own work to a helper that calls it: the helper is not a wrapper, and
  // neither consumer is registered at the other's call.
  'billing/retry.ts': `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const kafka = new Kafka({ clientId: 'billing', brokers: ['kafka:9092'] });

export class BillingConsumers {
  private readonly invoices = kafka.consumer({ groupId: 'invoices' });
  private readonly refunds = kafka.consumer({ groupId: 'refunds' });

  async start(): Promise<void> {
    await this.invoices.run({
      eachMessage: async ({ message }) => {
        await this.withRetry('invoice', async () => {
          await pool.query('UPDATE totals SET amount = amount + 1 WHERE id = $1', [message.key?.toString()]);
        });
      },
    });
    await this.refunds.run({
      eachMessage: async ({ message }) => {
        await this.withRetry('refund', async () => {
          await pool.query('UPDATE totals SET amount = amount - 1 WHERE id = $1', [message.key?.toString()]);
        });
      },
    });
  }

  private async withRetry(label: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      console.error(label, error);
      throw error;
    }
  }
}
`,
};

for (const mode of MODES) {
  describe(`how handlers reach their registration (${mode})`, () => {
    let project: TestProject;
    let result: AnalysisResult;

    before(() => {
      project = new TestProject(mode, 'wrapper-shapes');
      const files = project.write(FILES);
      result = project.analyze(files);
    });
    after(() => project.remove());

    const consumerOf = (source: string): ConsumerReport => {
      const found = result.consumers.filter((consumer) => consumer.registration.source === source);
      assert.equal(found.length, 1, `one consumer of '${source}': ${result.consumers.map(where).join(', ')}`);
      return found[0];
    };
    const findingsIn = (file: string): string[] => findingLinesIn(result, file);

    test("a factory's closure runs the function it was given: that function is the handler", () => {
      const invoices = consumerOf('invoices');
      assert.equal(where(invoices), 'issueInvoice@invoices.ts:6');
      assert.deepEqual(
        invoices.effects.map((effect) => effect.description.label),
        ['INSERT INTO invoices'],
      );
      assert.deepEqual(findingsIn('jobs/invoices.ts'), ['missing-event-id-check:6']);
    });

    test('a static registry method wrapping the processor: each production call is a consumer', () => {
      const digest = consumerOf('digest');
      assert.equal(where(digest), 'sendDigest@digest.ts:3');
      assert.equal(digest.registration.form, 'Worker via QueueRegistry.register()');
      assert.ok(digest.registration.location.filePath.endsWith('/queues/app.ts'));
      assert.deepEqual(findingsIn('queues/digest.ts'), ['missing-event-id-check:3']);
    });

    test('an options object: the callback given as its property is the handler, settled after it', () => {
      const leads = consumerOf('leads');
      assert.equal(where(leads), 'LeadsConsumer.handleMessage@leads.ts:13');
      assert.equal(leads.incomplete, undefined);
      assert.deepEqual(findingsIn('bus/leads.ts'), ['missing-event-id-check:13']);
      // The error callback is not a consumer of its own.
      assert.equal(result.consumers.filter((consumer) => consumer.handlerName.includes('error')).length, 0);
    });

    test("a constructor's field reached through the project's interface", () => {
      const mail = consumerOf('mail-requests');
      assert.ok(mail.registration.location.filePath.endsWith('/platform/mailer.ts'));
      assert.equal(mail.registration.form, 'eachMessage via KafkaQueue.createConsumer()');
      assert.deepEqual(findingsIn('platform/mailer.ts'), ['missing-event-id-check:6']);
    });

    test('a registry: each worker a registration adds is a consumer of the receive loop', () => {
      const notify = result.consumers.filter((consumer) => consumer.handlerName === 'NotifyWorker.process');
      assert.equal(notify.length, 1, result.consumers.map(where).join(', '));
      assert.equal(notify[0].registration.library, 'client-sqs');
      assert.ok(notify[0].registration.location.filePath.endsWith('/sqs/module.ts'));
      assert.equal(notify[0].settles.length, 1);
      assert.deepEqual(findingsIn('sqs/notify.worker.ts'), ['missing-event-id-check:5']);
    });

    test('a setter storing the callback in a module variable', () => {
      const blocks = result.consumers.filter((consumer) => consumer.handlerName === 'onBlock');
      assert.equal(blocks.length, 1, result.consumers.map(where).join(', '));
      assert.deepEqual(findingsIn('ender/controller.ts'), ['missing-event-id-check:7']);
    });

    test('a callback that only forwards the message stands for the method it calls', () => {
      const triggers = consumerOf('triggers');
      assert.equal(where(triggers), 'Emulator.onMessage@emulator.ts:10');
      assert.deepEqual(findingsIn('pubsub/emulator.ts'), ['missing-event-id-check:10']);
    });

    test('a helper the handler hands its own callback to is not a wrapper', () => {
      const registrations = result.consumers
        .filter((consumer) => consumer.registration.location.filePath.endsWith('/billing/retry.ts'))
        .map(
          (consumer) =>
            `${consumer.registration.location.line}:${consumer.registration.wrapperLocation ? 'wrapped' : 'direct'}`,
        );
      assert.deepEqual(registrations.sort(), ['12:direct', '19:direct']);
    });

    test("neither a dependency's method nor a Promise's resolve makes a wrapper", () => {
      const audit = consumerOf('audit');
      assert.equal(audit.incomplete, undefined);
      assert.equal(audit.registration.wrapperLocation, undefined);
      // The reply listener is complete: a reply for another request is never settled.
      const replies = consumerOf('replies');
      assert.equal(replies.incomplete, undefined);
      assert.deepEqual(findingsIn('rpc/reply.ts'), ['unsettled-message:17', 'missing-event-id-check:22']);
    });
  });
}

describe('the CLI adds the callers of wrappers until none are left', () => {
  test('a test file that imports the broker and calls the wrapper does not hide the production callers', () => {
    const project = new TestProject('untyped', 'wrapper-rounds');
    try {
      const pick = (prefix: string): Record<string, string> =>
        Object.fromEntries(Object.entries(FILES).filter(([file]) => file.startsWith(prefix)));
      project.write({ ...pick('queues/'), ...pick('platform/'), 'unrelated.ts': 'export const answer = 42;\n' });
      const run = runLint({ cwd: project.root, paths: [project.root], config: configWith() });
      assert.deepEqual(
        run.consumers
          .map((consumer) => `${consumer.registration.source}@${base(consumer.registration.location.filePath)}`)
          .sort(),
        ['digest@app.ts', 'mail-requests@mailer.ts', 'probe@registry.test.ts'],
      );
      assert.deepEqual(
        run.findings
          .map((finding) => `${finding.ruleId}@${base(finding.location.filePath)}:${finding.location.line}`)
          .sort(),
        ['missing-event-id-check@digest.ts:3', 'missing-event-id-check@mailer.ts:6'],
      );
      // The broker files, the callers they need (app.ts through the registry, digest.ts through app.ts
      // is only loaded as an import), and not the unrelated file.
      assert.equal(run.filesAnalyzed, 5);
    } finally {
      project.remove();
    }
  });
});
