/**
 * AWS Lambda SQS handlers (docs/model.md, "Per-library behaviour"): `export const handler = async (event: SQSEvent)`
 * looping `event.Records` (the loop body is the per-record handler), Powertools
 * `processPartialResponse(event, recordHandler, processor)` (the record handler), implicit-after-return
 * (the batch is deleted when the handler returns), a record pushed to `batchItemFailures` is retried
 * (a nack), identity `record.messageId`, Powertools `makeIdempotent` / `makeHandlerIdempotent` /
 * `@idempotent()` as the handler's guard. Typed mode has @types/aws-lambda and the Powertools
 * packages installed; untyped mode has no node_modules.
 */
import assert from 'node:assert/strict';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';
import { modelTests, pathsOf } from '../helpers/model';
import { ruleTester } from '../helpers/rule-tester';

const DB = `import { Pool } from 'pg';

export const pool = new Pool();
`;

const cases: RecognitionCase[] = [
  {
    name: 'export const handler = async (event: SQSEvent) => { for (const record of event.Records) … }',
    files: {
      'consumer.ts': `import type { SQSEvent } from 'aws-lambda';

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    console.log('order placed', record.body);
  }
};
`,
    },
    expect: [
      {
        library: 'lambda-sqs',
        form: 'handler',
        ackMode: 'implicit-after-return',
        source: null,
        handlerName: 'handler',
        identityExpression: 'record.messageId',
        handlerAt: { text: 'for (const record of event.Records) {' },
        registrationAt: 'export const handler = async (event: SQSEvent)',
        ackModeAt: null,
      },
    ],
  },
  {
    name: 'export async function handler(event: SQSEvent, context) with const { Records } = event and destructured records',
    files: {
      'consumer.ts': `import type { Context, SQSEvent } from 'aws-lambda';

export async function handler(event: SQSEvent, context: Context): Promise<void> {
  const { Records } = event;
  for (const { messageId, body } of Records) {
    console.log(context.awsRequestId, messageId, body);
  }
}
`,
    },
    expect: [
      {
        library: 'lambda-sqs',
        form: 'handler',
        ackMode: 'implicit-after-return',
        source: null,
        identityExpression: 'messageId',
        handlerAt: { text: 'for (const { messageId, body } of Records) {' },
        registrationAt: 'export async function handler(',
      },
    ],
  },
  {
    name: 'const handler: SQSHandler with Promise.all(event.Records.map(async (record) => …))',
    files: {
      'consumer.ts': `import type { SQSHandler } from 'aws-lambda';

export const handler: SQSHandler = async (event) => {
  await Promise.all(
    event.Records.map(async (record) => {
      console.log(record.messageId, record.body);
    }),
  );
};
`,
    },
    expect: [
      {
        library: 'lambda-sqs',
        form: 'handler',
        ackMode: 'implicit-after-return',
        source: null,
        identityExpression: 'record.messageId',
        handlerAt: { text: 'event.Records.map(async (record) => {' },
      },
    ],
  },
  {
    name: 'Powertools processPartialResponse(event, recordHandler, new BatchProcessor(EventType.SQS))',
    files: {
      'consumer.ts': `import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

const processor = new BatchProcessor(EventType.SQS);

const recordHandler = async (record: SQSRecord): Promise<void> => {
  console.log('refund requested', JSON.parse(record.body));
};

export const handler = async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, recordHandler, processor, { context });
`,
    },
    expect: [
      {
        library: 'lambda-sqs',
        form: 'processPartialResponse',
        ackMode: 'implicit-after-return',
        source: null,
        handlerName: 'recordHandler',
        identityExpression: 'record.messageId',
        handlerAt: { text: 'const recordHandler = async (record: SQSRecord): Promise<void> => {' },
        registrationAt: 'processPartialResponse(event, recordHandler, processor, { context });',
      },
    ],
  },
  {
    name: 'makeIdempotent(async (event: SQSEvent) => …) exported as handler',
    files: {
      'consumer.ts': `import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { SQSEvent } from 'aws-lambda';

const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 'idempotency' });

export const handler = makeIdempotent(async (event: SQSEvent) => {
  for (const record of event.Records) {
    console.log(record.body);
  }
}, { persistenceStore });
`,
    },
    expect: [
      {
        library: 'lambda-sqs',
        form: 'handler',
        ackMode: 'implicit-after-return',
        source: null,
        identityExpression: 'record.messageId',
        handlerAt: { text: 'for (const record of event.Records) {' },
        registrationAt: 'export const handler = makeIdempotent(',
      },
    ],
  },
  {
    name: 'untyped and without any import: exports.handler looping event.Records and reading record.body',
    files: {
      'consumer.ts': `declare const exports: Record<string, unknown>;

exports.handler = async (event: any) => {
  for (const record of event.Records) {
    const payment = JSON.parse(record.body);
    console.log(payment);
  }
};
`,
    },
    expect: [
      {
        library: 'lambda-sqs',
        form: 'handler',
        ackMode: 'implicit-after-return',
        source: null,
        identityExpression: 'record.messageId',
        handlerAt: { text: 'for (const record of event.Records) {' },
        registrationAt: 'exports.handler = async (event: any) => {',
      },
    ],
  },
  {
    name: 'a typed handler without a Records loop works on the whole batch',
    files: {
      'consumer.ts': `import type { SQSEvent } from 'aws-lambda';

export async function handler(event: SQSEvent): Promise<void> {
  const [record] = event.Records;
  console.log(record?.body);
}
`,
    },
    expect: [
      {
        library: 'lambda-sqs',
        form: 'handler (whole batch)',
        ackMode: 'implicit-after-return',
        source: null,
        identityExpression: null,
        handlerAt: { text: 'export async function handler(event: SQSEvent)' },
      },
    ],
  },
  {
    name: 'negative: an S3Event handler and a Kinesis batch processor',
    files: {
      'consumer.ts': `import type { S3Event, KinesisStreamRecord } from 'aws-lambda';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';

export const thumbnails = async (event: S3Event): Promise<void> => {
  for (const record of event.Records) console.log(record.s3.object.key);
};

const kinesis = new BatchProcessor(EventType.KinesisDataStreams);
const onRecord = async (record: KinesisStreamRecord): Promise<void> => console.log(record.kinesis.data);
export const streams = async (event: any, context: any) => processPartialResponse(event, onRecord, kinesis, { context });
`,
    },
    expect: [],
  },
  {
    name: 'negative: import-free files: an SNS Records loop in handler, an SQS-looking loop in a function not exported as handler',
    files: {
      'consumer.ts': `export const handler = async (event: any) => {
  for (const record of event.Records) console.log(record.Sns.Message);
};

export const drain = async (event: any) => {
  for (const record of event.Records) console.log(record.body);
};
`,
    },
    expect: [],
  },
];

recognitionTests('lambda-sqs', cases);

// ---- settles, guards and paths ------------------------------------------------------------------

modelTests('lambda-sqs', [
  {
    name: 'a record pushed to batchItemFailures is a nack (retried), on the catch path',
    files: {
      'db.ts': DB,
      'consumer.ts': `import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { pool } from './db';

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of event.Records) {
    try {
      await pool.query('INSERT INTO invoices (body) VALUES ($1)', [record.body]);
    } catch {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(
        consumer.settles.map((settle) => [settle.kind, settle.label, settle.requeue]),
        [['nack', 'batchItemFailures.push()', true]],
      );
      const insert = lineOf('INSERT INTO invoices');
      const push = lineOf('batchItemFailures.push');
      assert.deepEqual(pathsOf(consumer), [`C S${push}:nack`, `E${insert}`, `E${insert} C S${push}:nack`]);
    },
  },
  {
    name: 'event.Records.forEach(async …): the handler returns (and Lambda deletes the batch) while the work runs',
    files: {
      'db.ts': DB,
      'consumer.ts': `import type { SQSEvent } from 'aws-lambda';
import { pool } from './db';

export const handler = async (event: SQSEvent): Promise<void> => {
  event.Records.forEach(async (record) => {
    await pool.query('INSERT INTO audit (body) VALUES ($1)', [record.body]);
  });
};
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(pathsOf(consumer), [`E${lineOf('INSERT INTO audit')}d`]);
    },
  },
  {
    name: 'makeIdempotent, middy makeHandlerIdempotent and @idempotent() guard the whole handler',
    files: {
      'db.ts': DB,
      'consumer.ts': `import { makeIdempotent, idempotent } from '@aws-lambda-powertools/idempotency';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { pool } from './db';

const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 'idempotency' });

async function chargeAll(event: SQSEvent): Promise<void> {
  for (const record of event.Records) await pool.query('INSERT INTO charges (body) VALUES ($1)', [record.body]);
}
export const byReference = makeIdempotent(chargeAll, { persistenceStore });

export const withMiddy = middy(async (event: SQSEvent) => {
  for (const record of event.Records) await pool.query('INSERT INTO refunds (body) VALUES ($1)', [record.body]);
}).use(makeHandlerIdempotent({ persistenceStore }));

export class PayoutsLambda {
  @idempotent({ persistenceStore })
  async handler(event: SQSEvent, _context: unknown): Promise<void> {
    for (const record of event.Records) await pool.query('INSERT INTO payouts (body) VALUES ($1)', [record.body]);
  }
}
`,
    },
    check: (consumers, { lineOf }) => {
      assert.equal(consumers.length, 3);
      const labels = consumers.map((consumer) =>
        consumer.guards.map((guard) => [guard.kind, guard.label, guard.location.line]),
      );
      assert.deepEqual(
        labels.sort(),
        [
          [['wrapper', '@idempotent()', lineOf('@idempotent({ persistenceStore })')]],
          [['wrapper', 'makeHandlerIdempotent()', lineOf('}).use(makeHandlerIdempotent')]],
          [['wrapper', 'makeIdempotent()', lineOf('export const byReference')]],
        ].sort(),
      );
      for (const consumer of consumers)
        assert.equal(consumer.effectiveSemantics, 'effectively-once', consumer.handlerName);
    },
  },
  {
    name: 'processPartialResponse with a record handler wrapped in makeIdempotent',
    files: {
      'db.ts': DB,
      'consumer.ts': `import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { pool } from './db';

const processor = new BatchProcessor(EventType.SQS);
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 'idempotency' });

const processRecord = makeIdempotent(
  async (record: SQSRecord) => {
    await pool.query('INSERT INTO ledger (body) VALUES ($1)', [record.body]);
  },
  { persistenceStore },
);

export const handler = async (event: SQSEvent, context: Context) => processPartialResponse(event, processRecord, processor, { context });
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.equal(consumer.registration.form, 'processPartialResponse');
      assert.deepEqual(
        consumer.guards.map((guard) => [guard.label, guard.location.line]),
        [['makeIdempotent()', lineOf('const processRecord = makeIdempotent(')]],
      );
      assert.deepEqual(pathsOf(consumer), [
        `G${lineOf('const processRecord = makeIdempotent(')}+ E${lineOf('INSERT INTO ledger')}`,
      ]);
    },
  },
]);

// ---- rules ------------------------------------------------------------------------------------

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'lambda-sqs: every record awaited in a for…of before the handler returns',
      files: { 'db.ts': DB },
      code: `import type { SQSEvent } from 'aws-lambda';
import { pool } from './db';

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    await pool.query('UPDATE orders SET status = $1 WHERE id = $2', ['paid', JSON.parse(record.body).orderId]);
  }
};
`,
    },
    {
      name: 'lambda-sqs: Promise.all over the records is returned',
      files: { 'db.ts': DB },
      code: `import type { SQSEvent } from 'aws-lambda';
import { pool } from './db';

export const handler = async (event: SQSEvent) =>
  Promise.all(event.Records.map(async (record) => {
    await pool.query('UPDATE orders SET status = $1 WHERE id = $2', ['paid', record.messageId]);
  }));
`,
    },
  ],
  invalid: [
    {
      name: 'lambda-sqs: forEach(async …) returns before the inserts finish',
      files: { 'db.ts': DB },
      code: `import type { SQSEvent } from 'aws-lambda';
import { pool } from './db';

export const handler = async (event: SQSEvent): Promise<void> => {
  event.Records.forEach(async (record) => {
    await pool.query('INSERT INTO audit (body) VALUES ($1)', [record.body]);
  });
};
`,
      errors: [
        { line: 6, messageId: 'unawaitedAtReturn', data: ['lambda-sqs consumer', 'Lambda deletes the batch from SQS'] },
      ],
    },
    {
      name: 'lambda-sqs: a dropped insert in the record loop',
      files: { 'db.ts': DB },
      code: `import type { SQSEvent } from 'aws-lambda';
import { pool } from './db';

export async function handler(event: SQSEvent): Promise<void> {
  for (const record of event.Records) {
    void pool.query('INSERT INTO audit (body) VALUES ($1)', [record.body]);
  }
}
`,
      errors: [{ line: 6, messageId: 'unawaitedAtReturn' }],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'lambda-sqs: makeIdempotent around the handler',
      files: { 'db.ts': DB },
      code: `import { makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { pool } from './db';

const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 'idempotency' });

export const handler = makeIdempotent(async (event: SQSEvent) => {
  for (const record of event.Records) {
    await pool.query('INSERT INTO invoices (body) VALUES ($1)', [record.body]);
  }
}, { persistenceStore });
`,
    },
    {
      name: 'lambda-sqs: SET NX claim on record.messageId, skipped records continue',
      files: { 'db.ts': DB },
      code: `import type { SQSEvent } from 'aws-lambda';
import Redis from 'ioredis';
import { pool } from './db';

const redis = new Redis();

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    const fresh = await redis.set(\`invoice:\${record.messageId}\`, '1', 'EX', 600, 'NX');
    if (fresh !== 'OK') continue;
    await pool.query('INSERT INTO invoices (body) VALUES ($1)', [record.body]);
  }
};
`,
    },
  ],
  invalid: [
    {
      name: 'lambda-sqs: INSERT per record without a check',
      files: { 'db.ts': DB },
      code: `import type { SQSEvent } from 'aws-lambda';
import { pool } from './db';

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    await pool.query('INSERT INTO invoices (body) VALUES ($1)', [record.body]);
  }
};
`,
      errors: [
        {
          line: 5,
          messageId: 'noIdentityCheck',
          data: ['lambda-sqs consumer', 'INSERT INTO invoices', 'makes Lambda deliver it again', 'record.messageId'],
          related: 2,
        },
      ],
    },
    {
      name: 'lambda-sqs: Powertools record handler posting to a payment API',
      code: `import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

const processor = new BatchProcessor(EventType.SQS);

const recordHandler = async (record: SQSRecord): Promise<void> => {
  await fetch('https://payments.example.com/charges', { method: 'POST', body: record.body });
};

export const handler = async (event: SQSEvent, context: Context) => processPartialResponse(event, recordHandler, processor, { context });
`,
      errors: [{ line: 6, messageId: 'noIdentityCheck', data: 'HTTP POST' }],
    },
  ],
});
