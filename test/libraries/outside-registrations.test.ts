/**
 * Handlers registered outside the project (docs/model.md, "Handlers registered outside the
 * project"): a function whose first parameter is declared as a library's delivered message (nats
 * `JsMsg`, Pub/Sub `Message`), handed to a function of an installed package that is not in the
 * project. Explicit when the handler settles the message itself; incomplete (every rule quiet)
 * when it does not. Not a consumer when the call is the project's own, the library's own, a
 * built-in's, or when nothing hands the function to a package.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';
import { ruleTester } from '../helpers/rule-tester';
import { MODES, TestProject, configWith } from '../helpers/project';
import { runLint } from '../../server/src/pipeline/lint';

/** A listener module: the handler is declared to take a JetStream message, and settles it. */
const SHIPMENT_LISTENER = `import type { JsMsg } from 'nats';
import { Pool } from 'pg';

const db = new Pool();

export const onShipmentBooked = async (msg: JsMsg) => {
  const booking = JSON.parse(msg.string()) as { id: string; parcels: number };
  if (!booking.id) {
    msg.term();
    return;
  }
  msg.ack();
  await db.query('INSERT INTO shipments (booking_id, parcels) VALUES ($1, $2)', [booking.id, booking.parcels]);
};
`;

/** The same handler shape, settled only after its work. */
const AUDIT_LISTENER = `import * as nats from 'nats';
import { Pool } from 'pg';

const db = new Pool();

export async function recordAudit(entry: nats.JsMsg): Promise<void> {
  await db.query('UPDATE audits SET seen = true WHERE seq = $1', [entry.seq]);
  entry.ack();
}
`;

/** Settles nothing itself: when the message is settled is the unseen registration's choice. */
const METRICS_LISTENER = `import { JsMsg } from 'nats';
import { Pool } from 'pg';

const db = new Pool();

export const countVisit = async (m: JsMsg): Promise<void> => {
  await db.query('INSERT INTO visits (path) VALUES ($1)', [m.subject]);
};
`;

const cases: RecognitionCase[] = [
  {
    name: 'a JsMsg handler from another file handed to an installed package’s subscribe',
    consumer: 'server.ts',
    files: {
      'listeners/shipment.ts': SHIPMENT_LISTENER,
      'server.ts': `import { subscribe } from '@acme/bus-kit/dist/events';
import { onShipmentBooked } from './listeners/shipment';

export async function start(): Promise<void> {
  await subscribe('shipments.booked', 'shipping-service', onShipmentBooked);
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'subscribe',
        ackMode: 'explicit',
        source: null,
        handlerName: 'onShipmentBooked',
        identityExpression: 'msg.seq',
        handlerAt: { file: 'listeners/shipment.ts', text: 'export const onShipmentBooked' },
        registrationAt: "await subscribe('shipments.booked'",
        incomplete: null,
      },
    ],
    check: (consumer) => {
      assert.match(consumer.registration.outside ?? '', /`subscribe` of @acme\/bus-kit\/dist\/events/);
      assert.equal(consumer.dedupScope, undefined);
    },
  },
  {
    name: 'a namespace-typed handler (nats.JsMsg) through a constant read from a package import',
    consumer: 'main.ts',
    files: {
      'audit.ts': AUDIT_LISTENER,
      'main.ts': `import { messaging } from '@acme/platform';
import { recordAudit } from './audit';

const { listen } = messaging;

export function boot(): void {
  void listen('audit.entries', recordAudit);
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'listen',
        ackMode: 'explicit',
        source: null,
        handlerName: 'recordAudit',
        identityExpression: 'entry.seq',
        incomplete: null,
      },
    ],
  },
  {
    name: 'a handler that settles nothing itself is incomplete',
    consumer: 'server.ts',
    files: {
      'metrics.ts': METRICS_LISTENER,
      'server.ts': `import * as bus from '@acme/bus-kit';
import { countVisit } from './metrics';

bus.subscribe('site.visits', countVisit);
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'subscribe',
        ackMode: 'explicit',
        source: null,
        handlerName: 'countVisit',
        incomplete: 'settles nothing itself',
      },
    ],
  },
  {
    name: 'a Pub/Sub Message handler handed to an installed package',
    consumer: 'worker.ts',
    files: {
      'worker.ts': `import type { Message } from '@google-cloud/pubsub';
import { onTopic } from '@acme/gcp-kit';
import { Pool } from 'pg';

const db = new Pool();

async function chargeCard(message: Message): Promise<void> {
  await db.query('INSERT INTO charges (payload) VALUES ($1)', [message.data.toString()]);
  message.ack();
}

onTopic('charges', chargeCard);
`,
    },
    expect: [
      {
        library: 'google-pubsub',
        form: 'onTopic',
        ackMode: 'explicit',
        source: null,
        handlerName: 'chargeCard',
        identityExpression: 'message.id',
        incomplete: null,
      },
    ],
  },
  {
    name: 'not a registration: the same handler passed to a project function',
    consumer: 'server.ts',
    files: {
      'listeners/shipment.ts': SHIPMENT_LISTENER,
      'bus.ts': `export function register(subject: string, fn: (m: unknown) => Promise<void>): void {
  console.log('registered', subject, fn.name);
}
`,
      'server.ts': `import { register } from './bus';
import { onShipmentBooked } from './listeners/shipment';

register('shipments.booked', onShipmentBooked);
`,
    },
    expect: [],
  },
  {
    name: 'not a registration: a JsMsg handler never handed to any call',
    consumer: 'listeners/shipment.ts',
    files: {
      'listeners/shipment.ts': SHIPMENT_LISTENER,
    },
    expect: [],
  },
  {
    name: 'not a registration: a built-in, a global, or a factory’s result',
    consumer: 'server.ts',
    files: {
      'listeners/shipment.ts': SHIPMENT_LISTENER,
      'server.ts': `import { promisify } from 'node:util';
import { withTracing } from '@acme/bus-kit';
import { onShipmentBooked } from './listeners/shipment';

export const later = promisify(onShipmentBooked);
setTimeout(onShipmentBooked, 10);
export const traced = withTracing(wrap(onShipmentBooked));

function wrap<T>(fn: T): T {
  return fn;
}
`,
    },
    expect: [],
  },
  {
    name: 'not a registration: a test handing the handler to a test double',
    consumer: 'shipment.test.ts',
    files: {
      'listeners/shipment.ts': SHIPMENT_LISTENER,
      'shipment.test.ts': `import { vi } from 'vitest';
import { onShipmentBooked } from './listeners/shipment';

export const spy = vi.fn(onShipmentBooked);
`,
    },
    expect: [],
  },
  {
    name: 'not a registration: a parameter typed with another package’s JsMsg, or an untyped one',
    consumer: 'server.ts',
    files: {
      'server.ts': `import { subscribe } from '@acme/bus-kit';
import type { JsMsg } from './types';

export const onOrder = async (m: JsMsg) => {
  m.ack();
};
export const onRefund = async (m: { ack(): void }) => {
  m.ack();
};

subscribe('orders', onOrder);
subscribe('refunds', onRefund);
`,
      'types.ts': `export interface JsMsg {
  ack(): void;
}
`,
    },
    expect: [],
  },
];

recognitionTests('outside registrations', cases);

const BUS_SERVER = `import { subscribe } from '@acme/bus-kit/dist/events';
import { onShipmentBooked } from './listeners/shipment';

void subscribe('shipments.booked', 'shipping-service', onShipmentBooked);
`;

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'outside registration: the handler acks after its work',
      code: `import { listen } from '@acme/platform';
import { recordAudit } from './audit';

listen('audit.entries', recordAudit);
`,
      files: { 'audit.ts': AUDIT_LISTENER },
    },
    {
      name: 'outside registration: a handler that settles nothing is not judged',
      code: `import * as bus from '@acme/bus-kit';
import { countVisit } from './metrics';

bus.subscribe('site.visits', countVisit);
`,
      files: { 'metrics.ts': METRICS_LISTENER },
    },
    {
      name: 'no registration: the JsMsg handler is passed to a project function',
      code: `import { register } from './bus';
import { onShipmentBooked } from './listeners/shipment';

register('shipments.booked', onShipmentBooked);
`,
      files: {
        'listeners/shipment.ts': SHIPMENT_LISTENER,
        'bus.ts': `export function register(subject: string, fn: (m: unknown) => Promise<void>): void {
  console.log('registered', subject, fn.name);
}
`,
      },
    },
  ],
  invalid: [
    {
      name: 'outside registration: the handler acks before its insert',
      code: BUS_SERVER,
      files: { 'listeners/shipment.ts': SHIPMENT_LISTENER },
      errors: [{ line: 12, file: 'listeners/shipment.ts', messageId: 'ackBeforeProcessing' }],
    },
    {
      name: 'outside registration: the ack inside a transaction callback, before its commit',
      code: `import { subscribe } from '@acme/bus-kit';
import { onStock } from './stock';

void subscribe('stock.reserved', 'inventory', onStock);
`,
      files: {
        'stock.ts': `import { JsMsg } from 'nats';
import { Sequelize } from 'sequelize';

const sequelize = new Sequelize('postgres://db/inventory');

export const onStock = async (m: JsMsg) => {
  const { sku, qty } = JSON.parse(m.string()) as { sku: string; qty: number };
  await sequelize.transaction(async (t) => {
    await sequelize.query('INSERT INTO reservations (sku, qty) VALUES (?, ?)', { replacements: [sku, qty], transaction: t });
    m.ack();
  });
};
`,
      },
      errors: [{ line: 10, file: 'stock.ts', messageId: 'ackBeforeCommit' }],
    },
  ],
});

/** A listener that re-publishes through `publishFrom`'s package what it received, after an absolute update. */
const relayListener = (publishFrom: string) => `import { JsMsg } from 'nats';
import { publish, subjects } from '${publishFrom}';

const statuses = new Map<string, string>();

export const onPaymentCreated = async (m: JsMsg) => {
  const { orderId } = JSON.parse(m.string()) as { orderId: string };
  statuses.set(orderId, 'paid');
  await publish({ orderId, status: 'paid' }, subjects.OrderUpdated);
  m.ack();
};
`;

const RELAY_SERVER = `import { subscribe } from '@acme/bus-kit/dist/events';
import { onPaymentCreated } from './payment';

void subscribe('payments.created', 'orders', onPaymentCreated);
`;

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'outside registration that settles nothing: unseen, not judged',
      code: `import * as bus from '@acme/bus-kit';
import { countVisit } from './metrics';

bus.subscribe('site.visits', countVisit);
`,
      files: { 'metrics.ts': METRICS_LISTENER },
    },
    {
      name: "outside registration: a publish of another installed package is not the registering package's",
      code: RELAY_SERVER,
      files: { 'payment.ts': relayListener('@acme/notifications') },
    },
  ],
  invalid: [
    {
      name: 'outside registration: the registering package publishes again what the handler received, unchecked',
      code: RELAY_SERVER,
      files: { 'payment.ts': relayListener('@acme/bus-kit/dist/events') },
      errors: [{ line: 6, file: 'payment.ts', messageId: 'noIdentityCheck' }],
    },
    {
      name: 'outside registration: an insert before the ack with no check of the message',
      code: `import { subscribe } from '@acme/bus-kit';
import { onInvoice } from './invoice';

void subscribe('invoices.issued', 'billing', onInvoice);
`,
      files: {
        'invoice.ts': `import { JsMsg } from 'nats';
import { Pool } from 'pg';

const db = new Pool();

export const onInvoice = async (m: JsMsg) => {
  await db.query('INSERT INTO ledger (body) VALUES ($1)', [m.string()]);
  m.ack();
};
`,
      },
      errors: [{ line: 6, file: 'invoice.ts', messageId: 'noIdentityCheck' }],
    },
  ],
});

ruleTester('unsettled-message', {
  valid: [
    {
      name: 'outside registration of a Pub/Sub handler: a path without a settle may be settled by the unseen code',
      code: `import type { Message } from '@google-cloud/pubsub';
import { onTopic } from '@acme/gcp-kit';
import { Pool } from 'pg';

const db = new Pool();

async function chargeCard(message: Message): Promise<void> {
  if (!message.data.length) return;
  await db.query('UPDATE charges SET seen = true WHERE id = $1', [message.id]);
  message.ack();
}

onTopic('charges', chargeCard);
`,
    },
  ],
  invalid: [],
});

// The CLI loads the file that registers the handler: it imports no broker package, but names the
// typed handler and imports its module.
for (const mode of MODES) {
  describe(`outside registrations through the CLI (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'outside-cli');
      project.write({
        'src/listeners/shipment.ts': SHIPMENT_LISTENER,
        'src/listeners/index.ts': `export * from './shipment';\n`,
        'src/server.ts': `import { subscribe } from '@acme/bus-kit/dist/events';
import { onShipmentBooked } from './listeners';

void subscribe('shipments.booked', 'shipping-service', onShipmentBooked);
`,
      });
    });
    after(() => project?.remove());

    test('the registering file is found and the handler judged', () => {
      const run = runLint({ cwd: project.root, paths: [project.path('src')], config: configWith() });
      assert.deepEqual(run.problems, []);
      assert.equal(run.consumers.length, 1);
      assert.equal(run.consumers[0].registration.location.filePath, project.path('src/server.ts'));
      assert.deepEqual(
        run.findings.map((finding) => `${finding.ruleId}:${finding.location.line}`),
        ['ack-before-process:12'],
      );
    });
  });
}
