/**
 * @azure/service-bus, docs/model.md, "Per-library behaviour": `receiver.subscribe({ processMessage, processError },
 * { autoCompleteMessages })` (implicit-after-return by default, explicit with
 * `autoCompleteMessages: false`), `receiver.receiveMessages(n)` and a loop over the result
 * (loop-style, explicit), and `createReceiver(queue, { receiveMode: 'receiveAndDelete' })`
 * (auto-before-handler). Settles: completeMessage, abandonMessage, deadLetterMessage,
 * deferMessage. Identity `message.messageId`. Typed mode has @azure/service-bus installed.
 */
import { ruleTester } from '../helpers/rule-tester';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';

const CLIENT = `import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';

const sbClient = new ServiceBusClient(process.env.SERVICE_BUS_CONNECTION ?? '');
`;

const cases: RecognitionCase[] = [
  {
    name: 'subscribe with processMessage: auto-complete by default',
    files: {
      'consumer.ts': `${CLIENT}
const receiver = sbClient.createReceiver('orders');

receiver.subscribe({
  processMessage: async (message: ServiceBusReceivedMessage) => {
    console.log('order', message.messageId, message.body);
  },
  processError: async (args) => {
    console.error(args.error);
  },
});
`,
    },
    expect: [
      {
        library: 'azure-service-bus',
        form: 'subscribe',
        ackMode: 'implicit-after-return',
        source: 'orders',
        identityExpression: 'message.messageId',
        handlerAt: { text: 'processMessage: async (message: ServiceBusReceivedMessage) =>' },
        registrationAt: 'receiver.subscribe({',
        ackModeAt: null,
      },
    ],
  },
  {
    name: 'subscribe with autoCompleteMessages: false is explicit; topic subscription receiver',
    files: {
      'consumer.ts': `${CLIENT}
const receiver = sbClient.createReceiver('payments', 'billing');

async function onPayment(msg: ServiceBusReceivedMessage): Promise<void> {
  console.log(msg.messageId);
  await receiver.completeMessage(msg);
}

receiver.subscribe(
  { processMessage: onPayment, processError: async ({ error }) => console.error(error) },
  { autoCompleteMessages: false, maxConcurrentCalls: 4 },
);
`,
    },
    expect: [
      {
        library: 'azure-service-bus',
        form: 'subscribe',
        ackMode: 'explicit',
        source: 'payments/billing',
        handlerName: 'onPayment',
        identityExpression: 'msg.messageId',
        handlerAt: { text: 'async function onPayment(' },
        ackModeAt: '{ autoCompleteMessages: false, maxConcurrentCalls: 4 },',
      },
    ],
  },
  {
    name: "receiveMode: 'receiveAndDelete' is auto-before-handler, whatever autoCompleteMessages says",
    files: {
      'consumer.ts': `${CLIENT}
const QUEUE = 'telemetry';
const receiver = sbClient.createReceiver(QUEUE, {
  receiveMode: 'receiveAndDelete',
});

receiver.subscribe(
  {
    async processMessage(message) {
      console.log(message.body);
    },
    async processError(args) {
      console.error(args.error);
    },
  },
  { autoCompleteMessages: true },
);
`,
    },
    expect: [
      {
        library: 'azure-service-bus',
        form: 'subscribe',
        ackMode: 'auto-before-handler',
        source: 'telemetry',
        handlerName: 'processMessage',
        ackModeAt: "receiveMode: 'receiveAndDelete',",
      },
    ],
  },
  {
    name: 'receiveMessages then for…of: the loop body is the handler (peekLock: explicit)',
    files: {
      'consumer.ts': `${CLIENT}
export async function drainInvoices(): Promise<void> {
  const receiver = sbClient.createReceiver('invoices');
  const messages = await receiver.receiveMessages(20, { maxWaitTimeInMs: 5000 });
  for (const message of messages) {
    console.log(message.messageId);
    await receiver.completeMessage(message);
  }
  await receiver.close();
}
`,
    },
    expect: [
      {
        library: 'azure-service-bus',
        form: 'receiveMessages',
        ackMode: 'explicit',
        source: 'invoices',
        identityExpression: 'message.messageId',
        handlerAt: { text: 'for (const message of messages) {' },
        registrationAt: 'const messages = await receiver.receiveMessages(20',
      },
    ],
  },
  {
    name: 'loops over receiveMessages directly, getMessageIterator and receiveDeferredMessages; receiveAndDelete receiver',
    files: {
      'consumer.ts': `${CLIENT}
export async function poll(): Promise<void> {
  const auditReceiver = sbClient.createReceiver('audit', 'archive', { receiveMode: 'receiveAndDelete' });
  for (const entry of await auditReceiver.receiveMessages(50)) {
    console.log(entry.body);
  }
  const refunds = sbClient.createReceiver('refunds');
  for await (const refund of refunds.getMessageIterator()) {
    console.log(refund.messageId);
    await refunds.completeMessage(refund);
  }
  const deferred = await refunds.receiveDeferredMessages([]);
  for (const later of deferred) {
    await refunds.completeMessage(later);
  }
}
`,
    },
    expect: [
      {
        library: 'azure-service-bus',
        form: 'receiveMessages',
        ackMode: 'auto-before-handler',
        source: 'audit/archive',
        identityExpression: 'entry.messageId',
        ackModeAt:
          "const auditReceiver = sbClient.createReceiver('audit', 'archive', { receiveMode: 'receiveAndDelete' });",
      },
      {
        library: 'azure-service-bus',
        form: 'getMessageIterator',
        ackMode: 'explicit',
        source: 'refunds',
        identityExpression: 'refund.messageId',
      },
      { library: 'azure-service-bus', form: 'receiveDeferredMessages', ackMode: 'explicit', source: 'refunds' },
    ],
  },
  {
    name: 'session receivers: acceptSession(queue, sessionId) and acceptNextSession(topic, subscription)',
    files: {
      'consumer.ts': `${CLIENT}
export async function start(): Promise<void> {
  const session = await sbClient.acceptSession('carts', 'customer-42');
  session.subscribe({
    processMessage: async (message) => console.log(message.sessionId),
    processError: async (args) => console.error(args.error),
  });
  const next = await sbClient.acceptNextSession('shipments', 'warehouse', { maxAutoLockRenewalDurationInMs: 60000 });
  next.subscribe({
    processMessage: async (message) => console.log(message.messageId),
    processError: async (args) => console.error(args.error),
  });
}
`,
    },
    expect: [
      { library: 'azure-service-bus', form: 'subscribe', ackMode: 'implicit-after-return', source: 'carts' },
      {
        library: 'azure-service-bus',
        form: 'subscribe',
        ackMode: 'implicit-after-return',
        source: 'shipments/warehouse',
      },
    ],
  },
  {
    name: 'receiver as a class field created in start(); handler is a method bound with .bind(this)',
    files: {
      'consumer.ts': `import { ServiceBusClient, type ServiceBusReceiver, type ServiceBusReceivedMessage, type ProcessErrorArgs } from '@azure/service-bus';

export class RefundWorker {
  private receiver?: ServiceBusReceiver;

  constructor(private readonly client: ServiceBusClient) {}

  start(): void {
    this.receiver = this.client.createReceiver('refund-requests', { receiveMode: 'peekLock' });
    this.receiver.subscribe({ processMessage: this.handle.bind(this), processError: this.onError.bind(this) }, { autoCompleteMessages: false });
  }

  private async handle(message: ServiceBusReceivedMessage): Promise<void> {
    console.log(message.messageId);
    await this.receiver!.completeMessage(message);
  }

  private async onError(args: ProcessErrorArgs): Promise<void> {
    console.error(args.error);
  }
}
`,
    },
    expect: [
      {
        library: 'azure-service-bus',
        form: 'subscribe',
        ackMode: 'explicit',
        source: 'refund-requests',
        handlerName: 'RefundWorker.handle',
        handlerAt: { text: 'private async handle(' },
      },
    ],
  },
  {
    name: 'receiver made in another module (no Service Bus import in the registering file)',
    files: {
      'bus.ts': `import { ServiceBusClient } from '@azure/service-bus';

const client = new ServiceBusClient(process.env.SERVICE_BUS_CONNECTION ?? '');
export const creditNotes = client.createReceiver('credit-notes', { receiveMode: 'receiveAndDelete' });
`,
      'consumer.ts': `import { creditNotes } from './bus';

creditNotes.subscribe({
  processMessage: async (message) => console.log(message.body),
  processError: async (args) => console.error(args.error),
});
`,
    },
    expect: [
      { library: 'azure-service-bus', form: 'subscribe', ackMode: 'auto-before-handler', source: 'credit-notes' },
    ],
  },
  {
    name: 'negative: kafkajs-style subscribe, rxjs subscribe and an unrelated receiveMessages loop',
    files: {
      'consumer.ts': `import { interval } from 'rxjs';

interface Mailbox {
  receiveMessages(count: number): Promise<{ id: string }[]>;
  subscribe(options: { topic: string }): Promise<void>;
}

export async function run(mailbox: Mailbox): Promise<void> {
  await mailbox.subscribe({ topic: 'orders' });
  interval(1000).subscribe({ next: (tick) => console.log(tick) });
  for (const item of await mailbox.receiveMessages(10)) console.log(item.id);
}
`,
    },
    expect: [],
  },
];

recognitionTests('azure-service-bus', cases);

// ---- rules on Service Bus consumers ----------------------------------------------------------

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'service bus: explicit completeMessage after the insert; abandon on failure',
      code: `import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('invoices');

receiver.subscribe(
  {
    processMessage: async (message: ServiceBusReceivedMessage) => {
      try {
        await pool.query('INSERT INTO invoices (id, total_cents) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [message.body.invoiceId, message.body.totalCents]);
        await receiver.completeMessage(message);
      } catch (error) {
        await receiver.abandonMessage(message);
      }
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`,
    },
    {
      name: 'service bus: receiveMessages loop completes each message after its write',
      code: `import { ServiceBusClient } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('payments');

export async function drain(): Promise<void> {
  const messages = await receiver.receiveMessages(10);
  for (const message of messages) {
    await pool.query('UPDATE invoices SET status = $1 WHERE id = $2', ['paid', message.body.invoiceId]);
    await receiver.completeMessage(message);
  }
}
`,
    },
  ],
  invalid: [
    {
      name: 'service bus: completeMessage before the insert (explicit subscribe)',
      code: `import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('invoices');

receiver.subscribe(
  {
    processMessage: async (message: ServiceBusReceivedMessage) => {
      await receiver.completeMessage(message);
      await pool.query('INSERT INTO invoices (id, total_cents) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [message.body.invoiceId, message.body.totalCents]);
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`,
      errors: [
        {
          line: 10,
          messageId: 'ackBeforeProcessing',
          data: ["azure-service-bus consumer of source 'invoices'", 'receiver.completeMessage()'],
          related: 2,
        },
      ],
    },
    {
      name: 'service bus: auto-complete, the email is left running when processMessage resolves',
      code: `import { ServiceBusClient } from '@azure/service-bus';
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('receipts');

receiver.subscribe({
  processMessage: async (message) => {
    transporter.sendMail({ to: message.body.email, subject: 'Your receipt', text: 'Thanks!' });
  },
  processError: async (args) => console.error(args.error),
});
`,
      errors: [{ line: 9, messageId: 'unawaitedAtReturn', data: 'the receiver completes the message' }],
    },
    {
      name: 'service bus: receiveMessages loop completes each message before its write',
      code: `import { ServiceBusClient } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('payments');

export async function drain(): Promise<void> {
  const messages = await receiver.receiveMessages(10);
  for (const message of messages) {
    await receiver.completeMessage(message);
    await pool.query('UPDATE invoices SET status = $1 WHERE id = $2', ['paid', message.body.invoiceId]);
  }
}
`,
      errors: [{ line: 10, messageId: 'ackBeforeProcessing', data: 'receiver.completeMessage()' }],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'service bus: Stripe charge keyed by message.messageId',
      code: `import { ServiceBusClient } from '@azure/service-bus';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('charges');

receiver.subscribe({
  processMessage: async (message) => {
    await stripe.charges.create({ amount: message.body.amountCents, currency: 'eur', customer: message.body.customerId }, { idempotencyKey: String(message.messageId) });
  },
  processError: async (args) => console.error(args.error),
});
`,
    },
    {
      name: 'service bus: receiveAndDelete is at-most-once: no dedup finding (at-most-once-consumer instead)',
      code: `import { ServiceBusClient } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('page-views', { receiveMode: 'receiveAndDelete' });

receiver.subscribe({
  processMessage: async (message) => {
    await pool.query('INSERT INTO page_views (path) VALUES ($1)', [message.body.path]);
  },
  processError: async (args) => console.error(args.error),
});
`,
    },
  ],
  invalid: [
    {
      name: 'service bus: auto-complete handler charges with no check (abandoned and retried on a throw)',
      code: `import { ServiceBusClient } from '@azure/service-bus';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('charges');

receiver.subscribe({
  processMessage: async (message) => {
    await stripe.charges.create({ amount: message.body.amountCents, currency: 'eur', customer: message.body.customerId });
  },
  processError: async (args) => console.error(args.error),
});
`,
      errors: [
        {
          line: 8,
          messageId: 'noIdentityCheck',
          data: [
            "azure-service-bus consumer of source 'charges'",
            'the receiver abandons the message',
            'message.messageId',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'service bus: receiveMessages loop inserts before completing; finding on the loop head',
      code: `import { ServiceBusClient } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('ledger');

export async function drain(): Promise<void> {
  const messages = await receiver.receiveMessages(10);
  for (const message of messages) {
    await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [message.body.accountId, message.body.amountCents]);
    await receiver.completeMessage(message);
  }
}
`,
      errors: [{ line: 9, messageId: 'noIdentityCheck', data: 'ledger' }],
    },
  ],
});
