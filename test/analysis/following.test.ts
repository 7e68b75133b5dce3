/**
 * Following the work from the handler into the project's code, and judging its order and
 * awaitedness (docs/model.md, "Order" and "Transactions"): callbacks passed to project helpers
 * and context runners, un-awaited scopes judged against the settle they hold, promises returned
 * by non-async helpers when types are absent, arrays of promises awaited later.
 *
 * Every case runs typed (node_modules types resolve) and untyped (no node_modules at all).
 */
import { ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';

// ---- un-awaited scopes that hold the settle ------------------------------------------------------

/** The consume callback starts `process(msg)` without await; `process` awaits the insert, then acks. */
const DETACHED_PROCESS_ACKS = `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

class InvoiceWorker {
  constructor(private readonly channel: Channel) {}

  start(): void {
    void this.channel.consume('invoices', (msg) => {
      if (!msg) return;
      this.process(msg).catch((error) => console.error('unexpected', error));
    });
  }

  private async process(msg: ConsumeMessage): Promise<void> {
    try {
      const invoice = JSON.parse(msg.content.toString()) as { id: string; total: number };
      console.log('invoice', invoice.id);
      await pool.query('INSERT INTO invoice_log (received_at) VALUES (now())');
      this.channel.ack(msg);
    } catch {
      this.channel.nack(msg, false, true);
    }
  }
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  new InvoiceWorker(channel).start();
}
`;

/** The dropped scope only nacks on failure: the handler's own ack does not wait for its insert. */
const DETACHED_NACK_ONLY = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function store(id: string): Promise<void> {
  await pool.query('INSERT INTO receipts (id) VALUES ($1)', [id]);
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('receipts', (msg) => {
    if (!msg) return;
    const id = msg.content.toString();
    store(id).catch(() => channel.nack(msg, false, true));
    channel.ack(msg);
  });
}
`;

// ---- non-async helpers that return a library promise -----------------------------------------

const AUDIT_HELPER = `import { Pool } from 'pg';

const pool = new Pool();

export function recordAudit(accountId: string, actor: string) {
  return pool.query('INSERT INTO audit_log (account_id, actor) VALUES ($1, $2)', [accountId, actor]);
}
`;

const DROPS_UNTYPED_HELPER = `import amqp from 'amqplib';
import { recordAudit } from './audit';

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('accounts', async (msg) => {
    if (!msg) return;
    const change = JSON.parse(msg.content.toString()) as { accountId: string; actor: string };
    recordAudit(change.accountId, change.actor);
    channel.ack(msg);
  });
}
`;

// ---- arrays of promises awaited later --------------------------------------------------------

const MAPPED_THEN_AWAITED = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const consumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123/shipments',
  handleMessageBatch: async (messages) => {
    const pending = messages.map(async (message) => {
      const shipment = JSON.parse(message.Body ?? '{}') as { id: string };
      await pool.query('UPDATE shipments SET status = $1 WHERE id = $2', ['sent', shipment.id]);
    });
    await Promise.all(pending);
    return messages;
  },
});
`;

const PUSHED_THEN_AWAITED = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const consumer = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123/stock',
  handleMessage: async (message) => {
    const event = JSON.parse(message.Body ?? '{}') as { sku: string; warehouses: string[] };
    const writes = [];
    for (const warehouse of event.warehouses) {
      writes.push(pool.query('UPDATE stock SET synced = true WHERE sku = $1 AND warehouse = $2', [event.sku, warehouse]));
    }
    await Promise.all(writes);
    return message;
  },
});
`;

// ---- callbacks passed to project helpers and context runners -----------------------------------

const RETRY_HELPER = `export async function withRetry<T>(operation: () => Promise<T>, attempts = 3): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await operation();
    } catch (error) {
      last = error;
    }
  }
  throw last;
}
`;

const CALLBACK_TO_HELPER = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { withRetry } from './retry';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const entry = JSON.parse(message.value!.toString()) as { account: string; cents: number };
      await withRetry(() =>
        pool.query('INSERT INTO ledger_entries (account, cents) VALUES ($1, $2)', [entry.account, entry.cents]),
      );
    },
  });
}
`;

const TENANT_CONTEXT = `import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<{ tenant: string }>();

export function runWithTenant<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
  return storage.run({ tenant }, fn);
}
`;

const CONTEXT_RUNNER = `import amqp from 'amqplib';
import { Pool } from 'pg';
import { runWithTenant } from './tenant';

const pool = new Pool();

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('signups', async (msg) => {
    if (!msg) return;
    const signup = JSON.parse(msg.content.toString()) as { tenant: string; email: string };
    await runWithTenant(signup.tenant, async () => {
      channel.ack(msg);
      await pool.query('INSERT INTO members (email) VALUES ($1)', [signup.email]);
    });
  });
}
`;

// ---- interface-typed dependencies and abstract methods ------------------------------------------

const NOTIFIER = `export interface Notifier {
  notify(customerId: string, text: string): Promise<void>;
}

export class WebhookNotifier implements Notifier {
  constructor(private readonly url: string) {}

  async notify(customerId: string, text: string): Promise<void> {
    await fetch(this.url, { method: 'POST', body: JSON.stringify({ customerId, text }) });
  }
}

/** Declared, never constructed: not what runs. */
export class SmsNotifier implements Notifier {
  async notify(customerId: string, text: string): Promise<void> {
    await fetch('https://sms.example.com/send', { method: 'POST', body: JSON.stringify({ customerId, text }) });
  }
}
`;

const INTERFACE_DEPENDENCY = `import amqp, { type Channel } from 'amqplib';
import { type Notifier, WebhookNotifier } from './notifier';

class ShippingConsumer {
  constructor(
    private readonly channel: Channel,
    private readonly notifier: Notifier,
  ) {}

  async start(): Promise<void> {
    await this.channel.consume('shipped', async (msg) => {
      if (!msg) return;
      const event = JSON.parse(msg.content.toString()) as { customerId: string };
      await this.notifier.notify(event.customerId, 'your parcel is on its way');
      this.channel.ack(msg);
    });
  }
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await new ShippingConsumer(channel, new WebhookNotifier('https://hooks.example.com/shipped')).start();
}
`;

const NEVER_CONSTRUCTED = `import amqp from 'amqplib';
import type { Notifier } from './notifier';

declare const notifier: Notifier;

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('shipped', async (msg) => {
    if (!msg) return;
    const event = JSON.parse(msg.content.toString()) as { customerId: string };
    await notifier.notify(event.customerId, 'your parcel is on its way');
    channel.ack(msg);
  });
}
`;

const UNUSED_NOTIFIER = `export interface Notifier {
  notify(customerId: string, text: string): Promise<void>;
}

/** Declared, never constructed: not what runs. */
export class SmsNotifier implements Notifier {
  async notify(customerId: string, text: string): Promise<void> {
    await fetch('https://sms.example.com/send', { method: 'POST', body: JSON.stringify({ customerId, text }) });
  }
}
`;

const BASE_CONSUMER = `import type { Channel } from 'amqplib';

export abstract class QueueConsumer<T> {
  constructor(
    protected readonly channel: Channel,
    private readonly queue: string,
  ) {}

  async listen(): Promise<void> {
    await this.channel.consume(this.queue, async (msg) => {
      if (!msg) return;
      await this.onEvent(JSON.parse(msg.content.toString()) as T);
      this.channel.ack(msg);
    });
  }

  protected abstract onEvent(event: T): Promise<void>;
}
`;

const SUBCLASS_CONSUMER = `import amqp from 'amqplib';
import { Pool } from 'pg';
import { QueueConsumer } from './base-consumer';

const pool = new Pool();

class PointsConsumer extends QueueConsumer<{ member: string; points: number }> {
  protected async onEvent(event: { member: string; points: number }): Promise<void> {
    await pool.query('UPDATE members SET points = points + $1 WHERE id = $2', [event.points, event.member]);
  }
}

export async function main(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await new PointsConsumer(channel, 'points').listen();
}
`;

// ---- once-per-process initialisation ----------------------------------------------------------

const MEMOISED_LOGIN = `import { Kafka } from 'kafkajs';

const consumer = new Kafka({ clientId: 'crm', brokers: ['kafka:9092'] }).consumer({ groupId: 'crm' });

class CrmClient {
  private token: string | undefined;
  private ready: Promise<void> | undefined;
  private schema: string | undefined;

  private async session(): Promise<string> {
    if (this.token) return this.token;
    const response = await fetch('https://crm.example.com/login', { method: 'POST', body: '{}' });
    this.token = ((await response.json()) as { token: string }).token;
    return this.token;
  }

  private async prepare(): Promise<void> {
    if (!this.schema) {
      await fetch('https://crm.example.com/schema', { method: 'POST', body: '{}' });
      this.schema = 'v1';
    }
    this.ready ??= fetch('https://crm.example.com/warmup', { method: 'POST' }).then(() => undefined);
    await this.ready;
  }

  async updateContact(id: string, email: string): Promise<void> {
    await this.prepare();
    const token = await this.session();
    await fetch('https://crm.example.com/contacts/' + id, {
      method: 'PUT',
      headers: { authorization: token },
      body: JSON.stringify({ email }),
    });
  }
}

const crm = new CrmClient();

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString()) as { id: string; email: string };
      await crm.updateContact(event.id, event.email);
    },
  });
}
`;

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'an un-awaited method that awaits the insert and then acks: the ack waits for the work it follows',
      code: DETACHED_PROCESS_ACKS,
    },
    {
      name: 'promises mapped into a variable and awaited later through Promise.all complete before the return',
      code: MAPPED_THEN_AWAITED,
    },
    {
      name: 'promises pushed into an array and awaited later through Promise.all complete before the return',
      code: PUSHED_THEN_AWAITED,
    },
  ],
  invalid: [
    {
      name: 'an un-awaited helper that only nacks on failure: the handler acks before its insert completes',
      code: DETACHED_NACK_ONLY,
      errors: [
        {
          line: lineOf(DETACHED_NACK_ONLY, 'store(id).catch('),
          messageId: 'unawaitedBeforeAck',
          data: ['INSERT INTO receipts', 'channel.ack()'],
        },
      ],
    },
    {
      name: 'a non-async helper without a declared type returns the driver promise: dropped before the ack',
      code: DROPS_UNTYPED_HELPER,
      files: { 'audit.ts': AUDIT_HELPER },
      errors: [
        {
          line: lineOf(DROPS_UNTYPED_HELPER, 'recordAudit(change.accountId'),
          messageId: 'unawaitedBeforeAck',
          data: ['INSERT INTO audit_log', 'recordAudit()', 'channel.ack()'],
        },
      ],
    },
    {
      name: 'a callback run by a context runner in a project helper acks before its insert',
      code: CONTEXT_RUNNER,
      files: { 'tenant.ts': TENANT_CONTEXT },
      errors: [
        {
          line: lineOf(CONTEXT_RUNNER, 'channel.ack(msg);'),
          messageId: 'ackBeforeProcessing',
          data: ['INSERT INTO members'],
        },
      ],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'an interface whose only implementation is never constructed: the call stays unfollowed',
      code: NEVER_CONSTRUCTED,
      files: { 'notifier.ts': UNUSED_NOTIFIER },
    },
    {
      name: 'a memoised login, schema set-up and warm-up run once per process, not once per message',
      code: MEMOISED_LOGIN,
    },
  ],
  invalid: [
    {
      name: 'an interface-typed dependency reaches the implementation the project constructs',
      code: INTERFACE_DEPENDENCY,
      files: { 'notifier.ts': NOTIFIER },
      errors: [
        {
          line: lineOf(INTERFACE_DEPENDENCY, "consume('shipped'"),
          messageId: 'noIdentityCheck',
          data: ['HTTP POST', 'WebhookNotifier.notify()'],
        },
      ],
    },
    {
      name: 'an abstract method called by the base consumer runs the subclass override',
      code: SUBCLASS_CONSUMER,
      files: { 'base-consumer.ts': BASE_CONSUMER },
      errors: [
        {
          line: lineOf(BASE_CONSUMER, 'this.channel.consume(this.queue'),
          file: 'base-consumer.ts',
          messageId: 'noIdentityCheck',
          data: ['UPDATE members', 'PointsConsumer.onEvent()'],
        },
      ],
    },
    {
      name: 'the insert runs in a callback the project retry helper calls',
      code: CALLBACK_TO_HELPER,
      files: { 'retry.ts': RETRY_HELPER },
      errors: [
        {
          line: lineOf(CALLBACK_TO_HELPER, 'eachMessage:'),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO ledger_entries'],
        },
      ],
    },
    {
      name: 'an un-awaited method that awaits the insert and then acks: the insert runs before the ack',
      code: DETACHED_PROCESS_ACKS,
      errors: [
        {
          line: lineOf(DETACHED_PROCESS_ACKS, "consume('invoices'"),
          messageId: 'noIdentityCheck',
          data: ['INSERT INTO invoice_log'],
        },
      ],
    },
  ],
});
