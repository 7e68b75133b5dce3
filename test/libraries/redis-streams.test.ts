/**
 * Redis streams with ioredis (docs/model.md, "Per-library behaviour"): an `xreadgroup` loop iterating the result entries,
 * and `xautoclaim`/`xclaim` recovery loops; the innermost loop body is the handler, with the entry's
 * `[id, fields]` as the message. Explicit `xack` (in the body, or `xack(…ids)` after the loop for the
 * batch); `NOACK` acks on delivery. ioredis is an effects library too: only loops over these reads
 * are consumers, and only files mentioning them pass the prefilter. Typed mode has ioredis installed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mentionsBroker } from '../../server/src/pipeline/prefilter';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';
import { modelTests, pathsOf } from '../helpers/model';
import { ruleTester } from '../helpers/rule-tester';

const HEAD = `import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
type Reply = [stream: string, entries: [id: string, fields: string[]][]][];
`;

const cases: RecognitionCase[] = [
  {
    name: 'xreadgroup in a polling loop, for (const [stream, entries] of res) for (const [id, fields] of entries)',
    files: {
      'consumer.ts': `${HEAD}
export async function consumeOrders(): Promise<void> {
  for (;;) {
    const res = (await redis.xreadgroup('GROUP', 'billing', 'worker-1', 'COUNT', 10, 'BLOCK', 5000, 'STREAMS', 'orders', '>')) as Reply | null;
    if (!res) continue;
    for (const [stream, entries] of res) {
      for (const [id, fields] of entries) {
        console.log(stream, id, fields);
        await redis.xack(stream, 'billing', id);
      }
    }
  }
}
`,
    },
    expect: [
      {
        library: 'redis-streams',
        form: 'xreadgroup',
        ackMode: 'explicit',
        source: 'orders',
        handlerName: 'consumeOrders',
        identityExpression: 'id',
        handlerAt: { text: 'for (const [id, fields] of entries) {' },
        registrationAt: "const res = (await redis.xreadgroup('GROUP'",
        ackModeAt: null,
      },
    ],
  },
  {
    name: 'res[0][1] entries, iterated with forEach and an entry variable; NOACK is auto-before-handler',
    files: {
      'consumer.ts': `${HEAD}
export async function audit(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'audit', 'w', 'NOACK', 'STREAMS', 'orders', '>')) as Reply | null;
  const entries = res?.[0]?.[1] ?? [];
  entries.forEach((entry) => console.log(entry[0], entry[1]));
}
`,
    },
    expect: [
      {
        library: 'redis-streams',
        form: 'xreadgroup',
        ackMode: 'auto-before-handler',
        source: 'orders',
        identityExpression: 'entry[0]',
        ackModeAt: "'NOACK'",
        handlerAt: { text: 'entries.forEach((entry) => console.log(entry[0], entry[1]));' },
      },
    ],
  },
  {
    name: 'xautoclaim recovery loop ([cursor, entries]) and xclaim (entries); a client from a project module',
    files: {
      'redis.ts': `import Redis from 'ioredis';

export const redis = new Redis(process.env.REDIS_URL ?? 'redis://localhost:6379');
`,
      'consumer.ts': `import { redis } from './redis';

export async function reclaim(consumer: string): Promise<void> {
  const [, entries] = (await redis.xautoclaim('payments', 'ledger', consumer, 60_000, '0-0', 'COUNT', 25)) as [string, [string, string[]][], string[]];
  for (const [id, fields] of entries) {
    console.log(id, fields);
    await redis.xack('payments', 'ledger', id);
  }
}

export async function steal(ids: string[]): Promise<void> {
  const claimed = (await redis.xclaim('payments', 'ledger', 'rescuer', 60_000, ...ids)) as [string, string[]][];
  for (const [id] of claimed) await redis.xack('payments', 'ledger', id);
}
`,
    },
    expect: [
      {
        library: 'redis-streams',
        form: 'xautoclaim',
        ackMode: 'explicit',
        source: 'payments',
        identityExpression: 'id',
        handlerAt: { text: 'for (const [id, fields] of entries) {' },
      },
      {
        library: 'redis-streams',
        form: 'xclaim',
        ackMode: 'explicit',
        source: 'payments',
        identityExpression: 'id',
        handlerAt: { text: 'for (const [id] of claimed)' },
      },
    ],
  },
  {
    name: 'a client in a class field (this.redis.xreadgroup) with the streams loop in a for…of over entries of res[0]',
    files: {
      'consumer.ts': `import Redis from 'ioredis';

export class ShipmentWorker {
  private readonly redis = new Redis();

  async tick(): Promise<void> {
    const reply = (await this.redis.xreadgroup('GROUP', 'shipping', 'w1', 'STREAMS', 'shipments', '>')) as [string, [string, string[]][]][] | null;
    const [first] = reply ?? [];
    if (!first) return;
    const [, entries] = first;
    for (const entry of entries) {
      console.log(entry[1]);
      await this.redis.xack('shipments', 'shipping', entry[0]);
    }
  }
}
`,
    },
    expect: [
      {
        library: 'redis-streams',
        form: 'xreadgroup',
        ackMode: 'explicit',
        source: 'shipments',
        handlerName: 'ShipmentWorker.tick',
        identityExpression: 'entry[0]',
        handlerAt: { text: 'for (const entry of entries) {' },
      },
    ],
  },
  {
    name: 'the entries passed to a method of the same class, which runs a callback per entry',
    files: {
      'consumer.ts': `import Redis from 'ioredis';

export class StreamServer {
  private readonly redis = new Redis();

  private async dispatch(stream: string, entries: [string, string[]][]): Promise<void> {
    await Promise.all(
      entries.map(async (entry) => {
        console.log(stream, entry[1]);
        await this.redis.xack(stream, 'workers', entry[0]);
      }),
    );
  }

  async listen(): Promise<void> {
    const reply = (await this.redis.xreadgroup('GROUP', 'workers', 'w1', 'STREAMS', 'jobs', '>')) as [string, [string, string[]][]][] | null;
    if (!reply) return;
    for (const [stream, entries] of reply) await this.dispatch(stream, entries);
  }
}
`,
    },
    expect: [
      {
        library: 'redis-streams',
        form: 'xreadgroup',
        ackMode: 'explicit',
        source: 'jobs',
        handlerName: 'StreamServer.dispatch',
        identityExpression: 'entry[0]',
        handlerAt: { text: 'entries.map(async (entry) => {' },
        registrationAt: "const reply = (await this.redis.xreadgroup('GROUP', 'workers', 'w1', 'STREAMS', 'jobs', '>'))",
      },
    ],
  },
  {
    name: 'negative: other ioredis calls (xrange, xadd, set) and a loop over xrange entries',
    files: {
      'consumer.ts': `${HEAD}
export async function report(): Promise<void> {
  await redis.set('report:last', Date.now());
  await redis.xadd('reports', '*', 'kind', 'daily');
  for (const [id, fields] of await redis.xrange('orders', '-', '+', 'COUNT', 100)) console.log(id, fields);
}
`,
    },
    expect: [],
  },
];

recognitionTests('redis-streams', cases);

test('redis-streams prefilter: a file is a candidate when it mentions xreadgroup/xautoclaim, not for importing ioredis', () => {
  assert.equal(
    mentionsBroker(`import Redis from 'ioredis';\nconst redis = new Redis();\nawait redis.set('a', 1);\n`),
    false,
  );
  assert.equal(
    mentionsBroker(
      `import { redis } from './lib/redis';\nawait redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', 's', '>');\n`,
    ),
    true,
  );
  assert.equal(
    mentionsBroker(`import { redis } from './lib/redis';\nawait redis.xautoclaim('s', 'g', 'c', 1000, '0-0');\n`),
    true,
  );
});

// ---- settles and paths ------------------------------------------------------------------------

modelTests('redis-streams', [
  {
    name: 'xack in the body is an ack; xack(stream, group, ...ids) after the entries loop acks the batch after the body',
    files: {
      'consumer.ts': `${HEAD}
export async function consume(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'billing', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  for (const [stream, entries] of res ?? []) {
    for (const [id, fields] of entries) {
      if (fields.length === 0) continue;
      await pool.query('INSERT INTO invoices (entry_id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [id, fields[1]]);
    }
    await redis.xack(stream, 'billing', ...entries.map(([id]) => id));
  }
}
`,
    },
    check: ([consumer], { lineOf }) => {
      const ack = lineOf('await redis.xack(stream');
      assert.deepEqual(
        consumer.settles.map((settle) => [settle.kind, settle.label, settle.location.line]),
        [['ack', 'xack()', ack]],
      );
      assert.deepEqual(pathsOf(consumer), [`E${lineOf('INSERT INTO invoices')} S${ack}:ack`, `S${ack}:ack`]);
    },
  },
  {
    name: 'ioredis effects in the body are effects, not settles: incr is duplicate-unsafe',
    files: {
      'consumer.ts': `${HEAD}
export async function count(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'stats', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  for (const [, entries] of res ?? []) {
    for (const [id, fields] of entries) {
      await redis.incr(\`orders:count:\${fields[1]}\`);
      await redis.xack('orders', 'stats', id);
    }
  }
}
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(
        consumer.effects.map((effect) => [effect.description.label, effect.description.class]),
        [['redis incr', 'duplicate-unsafe']],
      );
      assert.deepEqual(pathsOf(consumer), [`E${lineOf('redis.incr')} S${lineOf('redis.xack')}:ack`]);
    },
  },
]);

// ---- rules ------------------------------------------------------------------------------------

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'redis-streams: insert awaited, then xack',
      code: `${HEAD}
export async function consume(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'billing', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  for (const [stream, entries] of res ?? []) {
    for (const [id, fields] of entries) {
      await pool.query('INSERT INTO invoices (entry_id, body) VALUES ($1, $2) ON CONFLICT (entry_id) DO NOTHING', [id, fields[1]]);
      await redis.xack(stream, 'billing', id);
    }
  }
}
`,
    },
    {
      name: 'redis-streams: xack of the whole batch after the entries loop',
      code: `${HEAD}
export async function consume(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'billing', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  const entries = res?.[0]?.[1] ?? [];
  for (const [id, fields] of entries) {
    await pool.query('UPDATE orders SET status = $1 WHERE entry_id = $2', [fields[1], id]);
  }
  if (entries.length) await redis.xack('orders', 'billing', ...entries.map(([id]) => id));
}
`,
    },
  ],
  invalid: [
    {
      name: 'redis-streams: xack before the insert',
      code: `${HEAD}
export async function consume(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'billing', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  for (const [stream, entries] of res ?? []) {
    for (const [id, fields] of entries) {
      await redis.xack(stream, 'billing', id);
      await pool.query('INSERT INTO invoices (body) VALUES ($1)', [fields[1]]);
    }
  }
}
`,
      errors: [
        {
          line: 12,
          messageId: 'ackBeforeProcessing',
          data: ["redis-streams consumer of stream 'orders'", 'xack()', 'INSERT INTO invoices'],
          related: 2,
        },
      ],
    },
    {
      name: 'redis-streams: batch xack after entries.forEach(async …)',
      code: `${HEAD}
export async function consume(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'billing', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  const entries = res?.[0]?.[1] ?? [];
  entries.forEach(async ([, fields]) => {
    await pool.query('INSERT INTO invoices (body) VALUES ($1)', [fields[1]]);
  });
  await redis.xack('orders', 'billing', ...entries.map(([id]) => id));
}
`,
      errors: [{ line: 14, messageId: 'ackBeforeProcessing', data: ['xack()', 'INSERT INTO invoices'] }],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'redis-streams: SET NX claim on the entry id',
      code: `${HEAD}
export async function consume(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'billing', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  for (const [stream, entries] of res ?? []) {
    for (const [id, fields] of entries) {
      const claimed = await redis.set(\`billing:done:\${id}\`, '1', 'EX', 86_400, 'NX');
      if (claimed) await pool.query('INSERT INTO invoices (body) VALUES ($1)', [fields[1]]);
      await redis.xack(stream, 'billing', id);
    }
  }
}
`,
    },
    {
      name: 'redis-streams: only absolute writes (hset) keyed by the entry',
      code: `${HEAD}
export async function project(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'projection', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  for (const [stream, entries] of res ?? []) {
    for (const [id, fields] of entries) {
      await redis.hset(\`order:\${fields[1]}\`, 'lastEntry', id);
      await redis.xack(stream, 'projection', id);
    }
  }
}
`,
    },
  ],
  invalid: [
    {
      name: 'redis-streams: incr per entry, no check',
      code: `${HEAD}
export async function count(): Promise<void> {
  const res = (await redis.xreadgroup('GROUP', 'stats', 'w', 'STREAMS', 'orders', '>')) as Reply | null;
  for (const [stream, entries] of res ?? []) {
    for (const [id, fields] of entries) {
      await redis.incrby(\`revenue:\${fields[1]}\`, Number(fields[3]));
      await redis.xack(stream, 'stats', id);
    }
  }
}
`,
      errors: [
        {
          line: 11,
          messageId: 'noIdentityCheck',
          data: ["redis-streams consumer of stream 'orders'", 'redis incrby', 'XAUTOCLAIM', 'the stream entry ID'],
          related: 2,
        },
      ],
    },
    {
      name: 'redis-streams: xautoclaim recovery loop re-posting without a check',
      code: `${HEAD}
export async function recover(): Promise<void> {
  const [, entries] = (await redis.xautoclaim('orders', 'billing', 'rescuer', 300_000, '0-0')) as [string, [string, string[]][], string[]];
  for (const [id, fields] of entries) {
    await fetch('https://billing.example.com/invoices', { method: 'POST', body: fields[1] });
    await redis.xack('orders', 'billing', id);
  }
}
`,
      errors: [{ line: 10, messageId: 'noIdentityCheck', data: 'HTTP POST' }],
    },
  ],
});
