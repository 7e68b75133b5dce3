/**
 * @google-cloud/pubsub, docs/model.md, "Per-library behaviour": `subscription.on('message', fn)`, explicit
 * `message.ack()` / `message.nack()` (`ackWithResponse()` with exactly-once delivery), identity
 * `message.id`, source = the subscription's static name.
 *
 * The package is not installed (with its dependencies it adds about 60 MB to node_modules), so
 * "typed" mode runs inside the repository with the import unresolved: both modes exercise the
 * import-and-shape recognition. Project-local types (a handler typed with an interface of the
 * project, subscriptions made in another module) still go through the type checker.
 */
import { ruleTester } from '../helpers/rule-tester';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';

const cases: RecognitionCase[] = [
  {
    name: "pubsub.subscription(name).on('message', inline handler)",
    files: {
      'consumer.ts': `import { PubSub, type Message } from '@google-cloud/pubsub';

const pubsub = new PubSub({ projectId: 'acme-billing' });
const subscription = pubsub.subscription('billing-orders', { flowControl: { maxMessages: 10 } });

subscription.on('message', async (message: Message) => {
  console.log('order', message.id, message.data.toString());
  message.ack();
});
subscription.on('error', (error) => console.error(error));
`,
    },
    expect: [
      {
        library: 'google-pubsub',
        form: "on('message')",
        ackMode: 'explicit',
        source: 'billing-orders',
        identityExpression: 'message.id',
        handlerAt: { text: "subscription.on('message', async (message: Message) =>" },
        ackModeAt: null,
      },
    ],
  },
  {
    name: 'topic(...).subscription(...) chained, with a named handler function',
    files: {
      'consumer.ts': `import { PubSub, Message } from '@google-cloud/pubsub';

async function onInvoicePaid(msg: Message): Promise<void> {
  console.log('paid', msg.attributes.invoiceId);
  msg.ack();
}

export function listen(pubsub: PubSub): void {
  pubsub.topic('invoices').subscription('invoices-paid-billing').on('message', onInvoicePaid);
}
`,
    },
    expect: [
      {
        library: 'google-pubsub',
        form: "on('message')",
        ackMode: 'explicit',
        source: 'invoices-paid-billing',
        handlerName: 'onInvoicePaid',
        identityExpression: 'msg.id',
        handlerAt: { text: 'async function onInvoicePaid(' },
      },
    ],
  },
  {
    name: 'const [subscription] = await topic.createSubscription(name); full resource path keeps its last segment',
    files: {
      'consumer.ts': `import { PubSub } from '@google-cloud/pubsub';

export async function start(): Promise<void> {
  const pubsub = new PubSub();
  const topic = pubsub.topic('refunds');
  const [subscription] = await topic.createSubscription('refunds-ledger', { ackDeadlineSeconds: 60 });
  subscription.on('message', (message) => {
    console.log(message.id);
    message.ack();
  });
  const archive = pubsub.subscription('projects/acme-billing/subscriptions/refunds-archive');
  archive.addListener('message', (message) => message.ack());
}
`,
    },
    expect: [
      {
        library: 'google-pubsub',
        form: "on('message')",
        ackMode: 'explicit',
        source: 'refunds-ledger',
        identityExpression: 'message.id',
      },
      { library: 'google-pubsub', form: "on('message')", ackMode: 'explicit', source: 'refunds-archive' },
    ],
  },
  {
    name: 'pubsub.createSubscription(topic, name) and new Subscription(pubsub, name)',
    files: {
      'consumer.ts': `import { PubSub, Subscription } from '@google-cloud/pubsub';

export async function start(): Promise<void> {
  const pubsub = new PubSub();
  const [audit] = await pubsub.createSubscription('payments', 'payments-audit');
  audit.on('message', (message) => message.ack());
  const disputes = new Subscription(pubsub, 'disputes-billing');
  disputes.on('message', (message) => message.ack());
}
`,
    },
    expect: [
      { library: 'google-pubsub', form: "on('message')", ackMode: 'explicit', source: 'payments-audit' },
      { library: 'google-pubsub', form: "on('message')", ackMode: 'explicit', source: 'disputes-billing' },
    ],
  },
  {
    name: 'class field subscription made in the constructor, handler bound method; name from a constructor parameter is not static',
    files: {
      'consumer.ts': `import { PubSub, type Message, type Subscription } from '@google-cloud/pubsub';

export class ShipmentListener {
  private readonly subscription: Subscription;

  constructor(pubsub: PubSub, name: string) {
    this.subscription = pubsub.subscription(name);
  }

  start(): void {
    this.subscription.on('message', this.onShipment.bind(this));
  }

  private async onShipment(message: Message): Promise<void> {
    console.log('shipment', message.id);
    message.ack();
  }
}
`,
    },
    expect: [
      {
        library: 'google-pubsub',
        form: "on('message')",
        ackMode: 'explicit',
        source: null,
        handlerName: 'ShipmentListener.onShipment',
        handlerAt: { text: 'private async onShipment(' },
      },
    ],
  },
  {
    name: 'subscription made in another module, handler in a third (no Pub/Sub import in the registering file)',
    files: {
      'pubsub.ts': `import { PubSub } from '@google-cloud/pubsub';

export const pubsub = new PubSub();
export const paymentsSubscription = pubsub.subscription('payments-captured-billing');
`,
      'handlers.ts': `export interface ReceivedMessage {
  id: string;
  data: Buffer;
  ack(): void;
  nack(): void;
}

export async function onPaymentCaptured(message: ReceivedMessage): Promise<void> {
  console.log(message.id, message.data.length);
  message.ack();
}
`,
      'consumer.ts': `import { paymentsSubscription } from './pubsub';
import { onPaymentCaptured } from './handlers';

export function start(): void {
  paymentsSubscription.on('message', onPaymentCaptured);
}
`,
    },
    expect: [
      {
        library: 'google-pubsub',
        form: "on('message')",
        ackMode: 'explicit',
        source: 'payments-captured-billing',
        handlerName: 'onPaymentCaptured',
        handlerAt: { file: 'handlers.ts', text: 'export async function onPaymentCaptured(' },
      },
    ],
  },
  {
    name: "a subscription a service's getter returns, listened to in another module",
    files: {
      'pubsub.service.ts': `import { PubSub, type Subscription } from '@google-cloud/pubsub';

export class PubSubService {
  private readonly client: PubSub;
  private subscription: Subscription;

  constructor() {
    this.client = new PubSub({ projectId: 'acme' });
    this.subscription = this.client.topic('students').subscription('students-evaluation');
  }

  getSubscription() {
    return this.subscription;
  }
}
`,
      'consumer.ts': `import type { Message } from '@google-cloud/pubsub';
import { PubSubService } from './pubsub.service';

export class StudentListener {
  constructor(private readonly pubsub: PubSubService) {}

  listen(): void {
    this.pubsub.getSubscription().on('message', (message: Message) => {
      console.log(message.id);
      message.ack();
    });
  }
}
`,
    },
    expect: [
      {
        library: 'google-pubsub',
        form: "on('message')",
        ackMode: 'explicit',
        source: 'students-evaluation',
        identityExpression: 'message.id',
        registrationAt: "this.pubsub.getSubscription().on('message', (message: Message) => {",
      },
    ],
  },
  {
    name: "negative: a getter that returns another emitter with 'message' events",
    files: {
      'channels.ts': `import { EventEmitter } from 'node:events';

export class Channels {
  private readonly local = new EventEmitter();

  getLocal() {
    return this.local;
  }
}
`,
      'consumer.ts': `import { PubSub } from '@google-cloud/pubsub';
import type { Channels } from './channels';

export const pubsub = new PubSub();

export function attach(channels: Channels): void {
  channels.getLocal().on('message', (payload: string) => console.log(payload));
}
`,
    },
    expect: [],
  },
  {
    name: 'a Subscription parameter: recognised by its declared type; no static source',
    files: {
      'consumer.ts': `import type { Message, Subscription } from '@google-cloud/pubsub';

export function attach(source: Subscription): void {
  source.on('message', (message: Message) => {
    console.log(message.id);
    message.ack();
  });
}
`,
    },
    expect: [
      {
        library: 'google-pubsub',
        form: "on('message')",
        ackMode: 'explicit',
        source: null,
        identityExpression: 'message.id',
      },
    ],
  },
  {
    name: "negative: other 'message' emitters in a file that uses Pub/Sub",
    files: {
      'consumer.ts': `import { parentPort } from 'node:worker_threads';
import { EventEmitter } from 'node:events';
import { PubSub } from '@google-cloud/pubsub';

const pubsub = new PubSub();
const bus = new EventEmitter();

parentPort?.on('message', (task: { orderId: string }) => console.log(task.orderId));
process.on('message', (payload) => console.log(payload));
bus.on('message', (payload) => console.log(payload));
pubsub.subscription('billing-orders').on('error', (error) => console.error(error));
`,
    },
    expect: [],
  },
  {
    name: "negative: .on('message') without any Pub/Sub import",
    files: {
      'consumer.ts': `interface Socket {
  on(event: 'message', listener: (data: string) => void): void;
}

export function attach(subscription: Socket): void {
  subscription.on('message', (data) => console.log(data));
}
`,
    },
    expect: [],
  },
];

recognitionTests('google-pubsub', cases);

// ---- rules on Pub/Sub consumers --------------------------------------------------------------

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'pubsub: insert, then ack',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('orders-billing');

subscription.on('message', async (message: Message) => {
  const order = JSON.parse(message.data.toString()) as { orderId: string; totalCents: number };
  await pool.query('INSERT INTO invoices (order_id, total_cents) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING', [order.orderId, order.totalCents]);
  message.ack();
});
`,
    },
    {
      name: 'pubsub: awaited ackWithResponse after the write; nack on failure',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('payments-billing', { enableExactlyOnceDelivery: true });

subscription.on('message', async (message: Message) => {
  try {
    const payment = JSON.parse(message.data.toString()) as { paymentId: string; invoiceId: string };
    await pool.query('UPDATE invoices SET status = $1, payment_id = $2 WHERE id = $3', ['paid', payment.paymentId, payment.invoiceId]);
    await message.ackWithResponse();
  } catch (error) {
    message.nack();
  }
});
`,
    },
  ],
  invalid: [
    {
      name: 'pubsub: ack first, then the insert',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('orders-billing');

subscription.on('message', async (message: Message) => {
  message.ack();
  const order = JSON.parse(message.data.toString()) as { orderId: string; totalCents: number };
  await pool.query('INSERT INTO invoices (order_id, total_cents) VALUES ($1, $2) ON CONFLICT (order_id) DO NOTHING', [order.orderId, order.totalCents]);
});
`,
      errors: [
        {
          line: 8,
          messageId: 'ackBeforeProcessing',
          data: ["google-pubsub consumer of subscription 'orders-billing'", 'message.ack()'],
          related: 2,
        },
      ],
    },
    {
      name: 'pubsub: email started without await before the ack',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });
const subscription = new PubSub().subscription('receipts-email');

subscription.on('message', (message: Message) => {
  const receipt = JSON.parse(message.data.toString()) as { email: string; orderId: string };
  transporter.sendMail({ to: receipt.email, subject: \`Receipt for \${receipt.orderId}\`, text: 'Thanks!' });
  message.ack();
});
`,
      errors: [{ line: 9, messageId: 'unawaitedBeforeAck' }],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'pubsub: Redis SET NX claim on message.id, released on failure, then ack',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
const subscription = new PubSub().subscription('ledger-entries');

subscription.on('message', async (message: Message) => {
  const key = \`pubsub:ledger:\${message.id}\`;
  const claimed = await redis.set(key, 'processing', 'EX', 300, 'NX');
  if (!claimed) {
    message.ack();
    return;
  }
  try {
    const entry = JSON.parse(message.data.toString()) as { accountId: string; amountCents: number };
    await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [entry.accountId, entry.amountCents]);
    await redis.set(key, 'done', 'EX', 86400);
    message.ack();
  } catch (error) {
    await redis.del(key);
    message.nack();
  }
});
`,
    },
    {
      name: 'pubsub: only an upsert keyed by the payload, then ack',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('customers-sync');

subscription.on('message', async (message: Message) => {
  const customer = JSON.parse(message.data.toString()) as { id: string; email: string };
  await pool.query('INSERT INTO customers (id, email) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email', [customer.id, customer.email]);
  message.ack();
});
`,
    },
  ],
  invalid: [
    {
      name: 'pubsub: ledger insert, then ack, no check on message.id',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('ledger-entries');

subscription.on('message', async (message: Message) => {
  const entry = JSON.parse(message.data.toString()) as { accountId: string; amountCents: number };
  await pool.query('INSERT INTO ledger_entries (account_id, amount_cents) VALUES ($1, $2)', [entry.accountId, entry.amountCents]);
  message.ack();
});
`,
      errors: [
        {
          line: 7,
          messageId: 'noIdentityCheck',
          data: ["google-pubsub consumer of subscription 'ledger-entries'", 'Pub/Sub deliver it again', 'message.id'],
          related: 2,
        },
      ],
    },
    {
      name: 'pubsub: a check against an in-memory Set does not count',
      code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');
const seen = new Set<string>();

export function listen(pubsub: PubSub): void {
  pubsub.subscription('refunds-requested').on('message', async (message: Message) => {
    if (seen.has(message.id)) {
      message.ack();
      return;
    }
    const refund = JSON.parse(message.data.toString()) as { chargeId: string };
    await stripe.refunds.create({ charge: refund.chargeId });
    seen.add(message.id);
    message.ack();
  });
}
`,
      errors: [{ line: 8, messageId: 'invalidIdentityCheck', data: 'in-memory' }],
    },
  ],
});
