/**
 * nats JetStream (docs/model.md, "Per-library behaviour"): `consumer.consume()` (iterator or `callback`), `consumer.fetch()`,
 * `consumer.next()`, legacy `js.subscribe`/`js.pullSubscribe`; explicit settles `m.ack()`/`m.ackAck()`
 * (ack), `m.nak()` (nack), `m.term()` (term), `m.working()` is not a settle; identity `m.seq`/the
 * `Nats-Msg-Id` header. Typed mode has `nats` (2.x) installed; the `@nats-io/*` cases are untyped in
 * both modes (not installed).
 */
import assert from 'node:assert/strict';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';
import { modelTests, pathsOf } from '../helpers/model';
import { ruleTester } from '../helpers/rule-tester';

const HEAD = `import { connect, consumerOpts, type Consumer, type JsMsg } from 'nats';
import { Pool } from 'pg';

const pool = new Pool();
`;

const cases: RecognitionCase[] = [
  {
    name: 'js.consumers.get(stream, durable), then for await over consume()',
    files: {
      'consumer.ts': `${HEAD}
export async function runBilling(): Promise<void> {
  const nc = await connect({ servers: 'nats://nats:4222' });
  const js = nc.jetstream();
  const c = await js.consumers.get('ORDERS', 'billing');
  const messages = await c.consume({ max_messages: 100 });
  for await (const m of messages) {
    console.log(m.subject, m.string());
    m.ack();
  }
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'consume',
        ackMode: 'explicit',
        source: 'ORDERS',
        handlerName: 'runBilling',
        identityExpression: 'm.seq',
        handlerAt: { text: 'for await (const m of messages) {' },
        registrationAt: 'const messages = await c.consume(',
        ackModeAt: null,
      },
    ],
  },
  {
    name: 'fetch({ max_messages }) iterated directly, and consume({ callback })',
    files: {
      'consumer.ts': `${HEAD}
export async function runShipping(): Promise<void> {
  const nc = await connect();
  const consumer = await nc.jetstream().consumers.get('ORDERS', 'shipping');
  for await (const msg of await consumer.fetch({ max_messages: 10, expires: 5_000 })) {
    console.log(msg.seq);
    await msg.ackAck();
  }
  await consumer.consume({
    callback: (m: JsMsg) => {
      console.log(m.string());
      m.ack();
    },
  });
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'fetch',
        ackMode: 'explicit',
        source: 'ORDERS',
        identityExpression: 'msg.seq',
        handlerAt: { text: 'for await (const msg of await consumer.fetch(' },
      },
      {
        library: 'nats-jetstream',
        form: 'consume (callback)',
        ackMode: 'explicit',
        source: 'ORDERS',
        handlerName: 'callback',
        identityExpression: 'm.seq',
        handlerAt: { text: 'callback: (m: JsMsg) => {' },
        registrationAt: 'await consumer.consume({',
      },
    ],
  },
  {
    name: 'const m = await c.next() in a polling loop: the rest of the loop body handles it',
    files: {
      'consumer.ts': `${HEAD}
export async function runLedger(): Promise<void> {
  const nc = await connect();
  const c = await nc.jetstream().consumers.get('PAYMENTS', 'ledger');
  while (!nc.isClosed()) {
    const m = await c.next({ expires: 10_000 });
    if (!m) continue;
    console.log(m.json());
    m.ack();
  }
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'next',
        ackMode: 'explicit',
        source: 'PAYMENTS',
        identityExpression: 'm.seq',
        handlerAt: { text: 'while (!nc.isClosed()) {' },
        registrationAt: 'const m = await c.next(',
      },
    ],
  },
  {
    name: '@nats-io/jetstream: jetstream(nc).consumers.get(…) with a consumer held in a class field',
    files: {
      'consumer.ts': `import { jetstream, type Consumer } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export class RefundWorker {
  private consumer?: Consumer;

  async init(): Promise<void> {
    const nc = await connect({ servers: 'nats://nats:4222' });
    this.consumer = await jetstream(nc).consumers.get('REFUNDS', 'refunds-worker');
  }

  async run(): Promise<void> {
    const messages = await this.consumer!.consume();
    for await (const m of messages) {
      console.log(m.headers?.get('Nats-Msg-Id'));
      m.ack();
    }
  }
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'consume',
        ackMode: 'explicit',
        source: 'REFUNDS',
        handlerName: 'RefundWorker.run',
        handlerAt: { text: 'for await (const m of messages) {' },
      },
    ],
  },
  {
    name: 'a consumer received as a parameter (by type, or by name in a nats file)',
    files: {
      'consumer.ts': `${HEAD}
export async function drain(consumer: Consumer): Promise<void> {
  const messages = await consumer.fetch({ max_messages: 50 });
  for await (const m of messages) {
    console.log(m.seq);
    m.ack();
  }
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'fetch',
        ackMode: 'explicit',
        source: null,
        handlerAt: { text: 'for await (const m of messages) {' },
      },
    ],
  },
  {
    name: 'legacy js.subscribe: manualAck() is explicit, a builder without it auto-acks after the body, ackNone() acks nothing',
    files: {
      'consumer.ts': `${HEAD}
export async function legacy(): Promise<void> {
  const nc = await connect();
  const js = nc.jetstream();

  const opts = consumerOpts();
  opts.durable('legacy-billing');
  opts.manualAck();
  const sub = await js.subscribe('orders.placed', opts);
  for await (const m of sub) {
    console.log(m.string());
    m.ack();
  }

  const pull = await js.pullSubscribe('orders.shipped', consumerOpts().durable('legacy-shipping'));
  for await (const m of pull) console.log(m.string());

  const audit = await js.subscribe('orders.*', consumerOpts().durable('audit').ackNone());
  for await (const m of audit) console.log(m.string());
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'subscribe',
        ackMode: 'explicit',
        source: 'orders.placed',
        ackModeAt: 'opts.manualAck();',
        handlerAt: { text: 'for await (const m of sub) {' },
      },
      {
        library: 'nats-jetstream',
        form: 'pullSubscribe',
        ackMode: 'implicit-after-return',
        source: 'orders.shipped',
        ackModeAt: null,
        handlerAt: { text: 'for await (const m of pull)' },
      },
      {
        library: 'nats-jetstream',
        form: 'subscribe',
        ackMode: 'auto-before-handler',
        source: 'orders.*',
        ackModeAt: "const audit = await js.subscribe('orders.*', consumerOpts().durable('audit').ackNone());",
      },
    ],
  },
  {
    name: 'legacy subscribe with opts.callback((err, m) => …): the callback is the handler, m its second parameter',
    files: {
      'consumer.ts': `${HEAD}
export async function legacyCallback(): Promise<void> {
  const js = (await connect()).jetstream();
  const opts = consumerOpts().durable('emails').deliverTo('emails-inbox').manualAck();
  opts.callback((err, m) => {
    if (err || !m) return;
    console.log(m.string());
    m.ack();
  });
  await js.subscribe('orders.confirmed', opts);
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'subscribe',
        ackMode: 'explicit',
        source: 'orders.confirmed',
        identityExpression: 'm.seq',
        handlerAt: { text: 'opts.callback((err, m) => {' },
        registrationAt: "await js.subscribe('orders.confirmed', opts);",
      },
    ],
  },
  {
    name: 'a subscription a method of another module makes and returns, iterated where it is called',
    files: {
      'bus.ts': `import { connect, consumerOpts, createInbox, type JetStreamClient } from 'nats';

export class EventBus {
  private js?: JetStreamClient;

  async start(): Promise<void> {
    this.js = (await connect({ servers: 'nats://nats:4222' })).jetstream();
  }

  async subscribeTo(subject: string) {
    if (!this.js) throw new Error('not connected');
    const options = consumerOpts();
    options.durable('relay');
    options.manualAck();
    options.deliverTo(createInbox());
    return this.js.subscribe(subject, options);
  }
}
`,
      'relay.ts': `import { StringCodec } from 'nats';
import type { EventBus } from './bus';

const codec = StringCodec();

export async function relay(bus: EventBus): Promise<void> {
  const subscription = await bus.subscribeTo('sales.*');
  for await (const m of subscription) {
    console.log(m.subject, codec.decode(m.data));
    m.ack();
  }
}
`,
    },
    consumer: 'bus.ts',
    roots: ['bus.ts', 'relay.ts'],
    expect: [
      {
        library: 'nats-jetstream',
        form: 'subscribe',
        ackMode: 'explicit',
        source: null,
        handlerName: 'relay',
        identityExpression: 'm.seq',
        handlerAt: { file: 'relay.ts', text: 'for await (const m of subscription) {' },
        registrationAt: 'return this.js.subscribe(subject, options);',
        ackModeAt: 'options.manualAck();',
      },
    ],
  },
  {
    name: 'an ordered consumer (consumers.get(stream) without a durable name) has no acks',
    files: {
      'consumer.ts': `${HEAD}
export async function replay(): Promise<void> {
  const nc = await connect();
  const ordered = await nc.jetstream().consumers.get('ORDERS');
  for await (const m of await ordered.consume()) console.log(m.seq);
}
`,
    },
    expect: [
      {
        library: 'nats-jetstream',
        form: 'consume',
        ackMode: 'auto-before-handler',
        source: 'ORDERS',
        ackModeAt: "const ordered = await nc.jetstream().consumers.get('ORDERS');",
      },
    ],
  },
  {
    name: 'negative: core NATS nc.subscribe, and next()/fetch on values in a file without nats',
    files: {
      'consumer.ts': `import { connect } from 'nats';

export async function core(): Promise<void> {
  const nc = await connect();
  for await (const m of nc.subscribe('metrics.*')) console.log(m.subject);
}
`,
    },
    expect: [],
  },
  {
    name: 'negative: iterators named consumer in a file that does not use nats',
    files: {
      'consumer.ts': `export async function pump(consumer: { next(): Promise<string | null>; fetch(): Promise<string[]> }): Promise<void> {
  const item = await consumer.next();
  console.log(item);
  for (const other of await consumer.fetch()) console.log(other);
}
`,
    },
    expect: [],
  },
];

recognitionTests('nats-jetstream', cases);

// ---- settles and paths ------------------------------------------------------------------------

modelTests('nats-jetstream', [
  {
    name: 'ack, ackAck, nak (nack, redelivers), term (drops); working() is not a settle',
    files: {
      'consumer.ts': `${HEAD}
export async function run(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('ORDERS', 'billing');
  for await (const m of await c.consume()) {
    if (m.redelivered && m.info.redeliveryCount > 5) {
      m.term('poison');
      continue;
    }
    try {
      m.working();
      await pool.query('UPDATE orders SET status = $1 WHERE seq = $2', ['billed', m.seq]);
      if (m.seq % 2) m.ack();
      else await m.ackAck();
    } catch {
      m.nak(5_000);
    }
  }
}
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(
        consumer.settles.map((settle) => [settle.kind, settle.label, settle.location.line]),
        [
          ['term', 'term()', lineOf("m.term('poison')")],
          ['ack', 'ack()', lineOf('if (m.seq % 2) m.ack();')],
          ['ack', 'ackAck()', lineOf('await m.ackAck();')],
          ['nack', 'nak()', lineOf('m.nak(5_000);')],
        ],
      );
      assert.equal(consumer.settles[3].requeue, true);
    },
  },
  {
    name: 'next(): only the statements from the receive on belong to the message',
    files: {
      'consumer.ts': `${HEAD}
export async function pollOnce(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('ORDERS', 'once');
  await pool.query('INSERT INTO poll_log (at) VALUES (now())');
  const m = await c.next();
  if (!m) return;
  await pool.query('INSERT INTO invoices (body) VALUES ($1)', [m.string()]);
  m.ack();
}
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(pathsOf(consumer), ['', `E${lineOf('INSERT INTO invoices')} S${lineOf('m.ack();')}:ack`]);
    },
  },
  {
    name: 'a legacy auto-acking subscription with an async callback: the ack does not wait for it',
    files: {
      'consumer.ts': `${HEAD}
export async function auto(): Promise<void> {
  const js = (await connect()).jetstream();
  const opts = consumerOpts().durable('auto').deliverTo('auto-inbox');
  opts.callback(async (_err, m) => {
    if (!m) return;
    await pool.query('INSERT INTO audit (body) VALUES ($1)', [m.string()]);
  });
  await js.subscribe('orders.*', opts);
}
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.equal(consumer.registration.ackMode, 'implicit-after-return');
      assert.deepEqual(pathsOf(consumer), ['', `E${lineOf('INSERT INTO audit')}d`]);
    },
  },
]);

// ---- rules ------------------------------------------------------------------------------------

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'nats-jetstream: insert awaited, working() heartbeat, then ack',
      code: `${HEAD}
export async function run(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('ORDERS', 'billing');
  for await (const m of await c.consume()) {
    m.working();
    await pool.query('INSERT INTO invoices (seq, body) VALUES ($1, $2) ON CONFLICT (seq) DO NOTHING', [m.seq, m.string()]);
    m.ack();
  }
}
`,
    },
    {
      name: 'nats-jetstream: consume callback acks after the awaited write',
      code: `${HEAD}
export async function run(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('ORDERS', 'emails');
  await c.consume({
    callback: async (m) => {
      await pool.query('UPDATE orders SET emailed = true WHERE seq = $1', [m.seq]);
      m.ack();
    },
  });
}
`,
    },
  ],
  invalid: [
    {
      name: 'nats-jetstream: m.ack() before the insert',
      code: `${HEAD}
export async function run(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('ORDERS', 'billing');
  for await (const m of await c.consume()) {
    m.ack();
    await pool.query('INSERT INTO invoices (body) VALUES ($1)', [m.string()]);
  }
}
`,
      errors: [
        {
          line: 9,
          messageId: 'ackBeforeProcessing',
          data: ["nats-jetstream consumer of source 'ORDERS'", 'ack()', 'INSERT INTO invoices'],
          related: 2,
        },
      ],
    },
    {
      name: 'nats-jetstream: legacy auto-ack subscription with an async callback',
      code: `${HEAD}
export async function auto(): Promise<void> {
  const js = (await connect()).jetstream();
  const opts = consumerOpts().durable('auto').deliverTo('auto-inbox');
  opts.callback(async (_err, m) => {
    if (!m) return;
    await pool.query('INSERT INTO audit (body) VALUES ($1)', [m.string()]);
  });
  await js.subscribe('orders.*', opts);
}
`,
      errors: [{ line: 11, messageId: 'unawaitedAtReturn', data: 'the client acks the message' }],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'nats-jetstream: SET NX claim on the stream sequence',
      code: `${HEAD}import Redis from 'ioredis';

const redis = new Redis();

export async function run(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('ORDERS', 'billing');
  for await (const m of await c.consume()) {
    if (!(await redis.set(\`orders:\${m.seq}\`, '1', 'EX', 600, 'NX'))) {
      m.ack();
      continue;
    }
    await pool.query('INSERT INTO invoices (body) VALUES ($1)', [m.string()]);
    m.ack();
  }
}
`,
    },
    {
      name: 'nats-jetstream: insert keyed by the Nats-Msg-Id header, conflicts ignored',
      code: `${HEAD}
export async function run(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('ORDERS', 'billing');
  const batch = await c.fetch({ max_messages: 20 });
  for await (const m of batch) {
    const eventId = m.headers?.get('Nats-Msg-Id');
    await pool.query('INSERT INTO invoices (event_id, body) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING', [eventId, m.string()]);
    m.ack();
  }
}
`,
    },
  ],
  invalid: [
    {
      name: 'nats-jetstream: INSERT then ack, no check',
      code: `${HEAD}
export async function run(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('ORDERS', 'billing');
  const messages = await c.consume();
  for await (const m of messages) {
    await pool.query('INSERT INTO invoices (body) VALUES ($1)', [m.string()]);
    m.ack();
  }
}
`,
      errors: [
        {
          line: 9,
          messageId: 'noIdentityCheck',
          data: [
            "nats-jetstream consumer of source 'ORDERS'",
            'INSERT INTO invoices',
            'makes JetStream deliver it again',
            'm.seq',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'nats-jetstream: consume callback posting a charge',
      code: `${HEAD}
export async function run(): Promise<void> {
  const c = await (await connect()).jetstream().consumers.get('PAYMENTS', 'charges');
  await c.consume({
    callback: async (m: JsMsg) => {
      await fetch('https://payments.example.com/charges', { method: 'POST', body: m.string() });
      m.ack();
    },
  });
}
`,
      errors: [{ line: 9, messageId: 'noIdentityCheck', data: 'HTTP POST' }],
    },
  ],
});
