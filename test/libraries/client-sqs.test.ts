/**
 * @aws-sdk/client-sqs receive loops (docs/model.md, "Consumers": loop-style consumers): `ReceiveMessageCommand`
 * (or the aggregated client's `receiveMessage`) then a loop over `Messages`: `for…of`, `map(async …)`
 * in `Promise.all`, `forEach`. Explicit settles: `DeleteMessageCommand` (delete), a
 * `DeleteMessageBatchCommand` after the loop (a settle after the body), `ChangeMessageVisibilityCommand`
 * with `VisibilityTimeout: 0` (nack). Identity `message.MessageId`. Typed mode has
 * @aws-sdk/client-sqs installed; untyped mode has no node_modules.
 */
import assert from 'node:assert/strict';
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';
import { modelTests, pathsOf } from '../helpers/model';
import { ruleTester } from '../helpers/rule-tester';

const HEAD = `import { SQSClient, ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand, ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';

const sqs = new SQSClient({ region: 'eu-west-1' });
const pool = new Pool();
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-placed';
`;

/** Receives one message and returns it in a result object, or the failure (a helper module). */
const RECEIVE_HELPER = `import { SQSClient, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';

export type Received = { ok: true; message?: Message } | { ok: false; error: unknown };

export async function receiveOne(client: SQSClient, queueUrl: string): Promise<Received> {
  try {
    const response = await client.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1 }));
    const messages = response.Messages;
    if (messages && messages.length > 0) {
      const message = messages[0];
      return { ok: true, message };
    }
    return { ok: true, message: undefined };
  } catch (error) {
    return { ok: false, error };
  }
}
`;

const cases: RecognitionCase[] = [
  {
    name: 'const { Messages } = await sqs.send(new ReceiveMessageCommand(…)); for (const m of Messages ?? [])',
    files: {
      'consumer.ts': `${HEAD}
export async function pollOrders(): Promise<void> {
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }));
    for (const m of Messages ?? []) {
      console.log('order', m.Body);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}
`,
    },
    expect: [
      {
        library: 'client-sqs',
        form: 'ReceiveMessageCommand loop',
        ackMode: 'explicit',
        source: 'orders-placed',
        handlerName: 'pollOrders',
        identityExpression: 'm.MessageId',
        handlerAt: { text: 'for (const m of Messages ?? []) {' },
        registrationAt: 'const { Messages } = await sqs.send(',
        ackModeAt: null,
      },
    ],
  },
  {
    name: 'const res = await client.send(command); for…of res.Messages with a destructured MessageId',
    files: {
      'consumer.ts': `import { SQSClient, ReceiveMessageCommand } from '@aws-sdk/client-sqs';

const client = new SQSClient({});

export async function drainRefunds(queueUrl: string): Promise<number> {
  const command = new ReceiveMessageCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/42/refunds.fifo', MaxNumberOfMessages: 5 });
  const res = await client.send(command);
  let seen = 0;
  for (const { MessageId: id, Body } of res.Messages ?? []) {
    console.log(queueUrl, id, Body);
    seen++;
  }
  return seen;
}
`,
    },
    expect: [
      {
        library: 'client-sqs',
        form: 'ReceiveMessageCommand loop',
        ackMode: 'explicit',
        source: 'refunds.fifo',
        identityExpression: 'id',
        handlerAt: { text: 'for (const { MessageId: id, Body } of res.Messages ?? []) {' },
        registrationAt: 'const res = await client.send(command);',
      },
    ],
  },
  {
    name: 'Promise.all(Messages.map(async (message) => …)) on a client held in a class field (this.sqs.send)',
    files: {
      'consumer.ts': `import { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';

export class InvoicePoller {
  private readonly sqs = new SQSClient({});

  constructor(private readonly queueUrl: string) {}

  async pollOnce(): Promise<void> {
    const response = await this.sqs.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: 10 }));
    await Promise.all(
      (response.Messages ?? []).map(async (message) => {
        console.log('invoice', message.Body);
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }),
    );
  }
}
`,
    },
    expect: [
      {
        library: 'client-sqs',
        form: 'ReceiveMessageCommand loop',
        ackMode: 'explicit',
        source: null,
        handlerName: 'InvoicePoller.pollOnce',
        identityExpression: 'message.MessageId',
        handlerAt: { text: '(response.Messages ?? []).map(async (message) => {' },
        registrationAt: 'const response = await this.sqs.send(',
      },
    ],
  },
  {
    name: 'Messages?.forEach(async …) and a concise map((m) => handle(m)) in Promise.all',
    files: {
      'consumer.ts': `${HEAD}
async function handle(message: { Body?: string }): Promise<void> {
  console.log(message.Body);
}

export async function pollTwice(): Promise<void> {
  const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  first.Messages?.forEach(async (m) => {
    await handle(m);
  });
  const { Messages: second = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  await Promise.all(second.map((m) => handle(m)));
}
`,
    },
    expect: [
      {
        library: 'client-sqs',
        form: 'ReceiveMessageCommand loop',
        ackMode: 'explicit',
        source: 'orders-placed',
        identityExpression: 'm.MessageId',
        handlerAt: { text: 'first.Messages?.forEach(async (m) => {' },
      },
      {
        library: 'client-sqs',
        form: 'ReceiveMessageCommand loop',
        ackMode: 'explicit',
        source: 'orders-placed',
        identityExpression: 'm.MessageId',
        handlerAt: { text: 'await Promise.all(second.map((m) => handle(m)));' },
      },
    ],
  },
  {
    name: 'the aggregated SQS client: sqs.receiveMessage({ QueueUrl })',
    files: {
      'consumer.ts': `import { SQS } from '@aws-sdk/client-sqs';

const sqs = new SQS({ region: 'eu-west-1' });

export async function pollShipments(): Promise<void> {
  const { Messages } = await sqs.receiveMessage({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/shipments', WaitTimeSeconds: 10 });
  for (const message of Messages ?? []) {
    console.log(message.Body);
    await sqs.deleteMessage({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/shipments', ReceiptHandle: message.ReceiptHandle });
  }
}
`,
    },
    expect: [
      {
        library: 'client-sqs',
        form: 'receiveMessage loop',
        ackMode: 'explicit',
        source: 'shipments',
        identityExpression: 'message.MessageId',
        handlerAt: { text: 'for (const message of Messages ?? []) {' },
      },
    ],
  },
  {
    name: 'a wrapper pollQueue(url, handler) that receives and deletes: the callback passed at its call is the handler',
    files: {
      'consumer.ts': `import { SQSClient, ReceiveMessageCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});

async function pollQueue(queueUrl: string, handle: (message: Message) => Promise<void>): Promise<void> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
  for (const message of Messages) {
    await handle(message);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
}

export function start(): Promise<void> {
  return pollQueue('payments', async (message) => {
    console.log('payment', message.Body);
  });
}
`,
    },
    expect: [
      {
        library: 'client-sqs',
        form: 'ReceiveMessageCommand loop via pollQueue()',
        ackMode: 'explicit',
        source: 'payments',
        handlerAt: { text: "return pollQueue('payments', async (message) => {" },
        registrationAt: "return pollQueue('payments', async (message) => {",
      },
    ],
  },
  {
    // The helper receives one message and returns it inside a result object; its caller handles it.
    name: 'a receive helper in another module returns { ok, message } with Messages[0]: the caller handles received.message',
    files: {
      'queue.ts': RECEIVE_HELPER,
      'consumer.ts': `import { SQSClient, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { receiveOne } from './queue';

const sqs = new SQSClient({});
const TASKS = 'https://sqs.eu-west-1.amazonaws.com/123456789012/transcription-tasks';

export async function pollOnce(): Promise<void> {
  const received = await receiveOne(sqs, TASKS);
  if (!received.ok || !received.message) return;
  console.log('task', received.message.Body);
  await sqs.send(new DeleteMessageCommand({ QueueUrl: TASKS, ReceiptHandle: received.message.ReceiptHandle }));
}
`,
    },
    consumer: 'queue.ts',
    roots: ['consumer.ts', 'queue.ts'],
    expect: [
      {
        library: 'client-sqs',
        form: 'ReceiveMessageCommand (one message)',
        ackMode: 'explicit',
        source: null,
        handlerName: 'pollOnce',
        identityExpression: 'received.message.MessageId',
        handlerAt: { file: 'consumer.ts', text: 'export async function pollOnce(): Promise<void> {' },
        registrationAt: 'const response = await client.send(',
      },
    ],
  },
  {
    name: 'negative: the receive helper alone is no consumer (it returns the message to its callers)',
    files: { 'consumer.ts': RECEIVE_HELPER },
    expect: [],
  },
  {
    name: 'negative: a send of SendMessageCommand, and a synchronous map building batch entries',
    files: {
      'consumer.ts': `import { SQSClient, SendMessageCommand, DeleteMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});

export async function forward(messages: Message[]): Promise<void> {
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs/1/out', MessageBody: 'x' }));
  console.log(sent.MessageId);
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: 'https://sqs/1/in', Entries: messages.map((m) => ({ Id: m.MessageId!, ReceiptHandle: m.ReceiptHandle! })) }));
}
`,
    },
    expect: [],
  },
  {
    name: 'negative: a local ReceiveMessageCommand class in a file that does not import @aws-sdk/client-sqs',
    files: {
      'consumer.ts': `class ReceiveMessageCommand {
  constructor(readonly input: { QueueUrl: string }) {}
}

const bus = { send: async (command: ReceiveMessageCommand) => ({ Messages: [{ Body: command.input.QueueUrl }] }) };

export async function local(): Promise<void> {
  const { Messages } = await bus.send(new ReceiveMessageCommand({ QueueUrl: 'memory' }));
  for (const m of Messages) console.log(m.Body);
}
`,
    },
    expect: [],
  },
];

recognitionTests('client-sqs', cases);

// ---- settles and paths ------------------------------------------------------------------------

modelTests('client-sqs', [
  {
    name: "DeleteMessageCommand with the message receipt handle is a delete; another message's is not",
    files: {
      'consumer.ts': `${HEAD}
export async function poll(other: { ReceiptHandle?: string }): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages ?? []) {
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: other.ReceiptHandle }));
    const handle = m.ReceiptHandle;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: handle }));
  }
}
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(
        consumer.settles.map((settle) => [settle.kind, settle.label, settle.location.line]),
        [['delete', 'DeleteMessageCommand', lineOf('ReceiptHandle: handle')]],
      );
      assert.deepEqual(pathsOf(consumer), [
        `E${lineOf('INSERT INTO orders')} S${lineOf('ReceiptHandle: handle')}:delete`,
      ]);
    },
  },
  {
    name: 'ChangeMessageVisibilityCommand: VisibilityTimeout 0 is a nack, a longer timeout settles nothing',
    files: {
      'consumer.ts': `${HEAD}
export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages ?? []) {
    try {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 120 }));
      await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
    } catch {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
    }
  }
}
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(
        consumer.settles.map((settle) => [settle.kind, settle.location.line]).sort(),
        [
          ['delete', lineOf('await sqs.send(new DeleteMessageCommand')],
          ['nack', lineOf('VisibilityTimeout: 0')],
        ].sort(),
      );
      assert.equal(consumer.settles.find((settle) => settle.kind === 'nack')?.requeue, true);
    },
  },
  {
    name: 'DeleteMessageBatchCommand after a for…of: reached after the body and after `continue`, not after `return`',
    files: {
      'consumer.ts': `${HEAD}
export async function poll(): Promise<void> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages) {
    if (!m.Body) continue;
    if (m.Body === 'stop') return;
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
  }
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
}
`,
    },
    check: ([consumer], { lineOf }) => {
      const batch = lineOf('new DeleteMessageBatchCommand');
      assert.deepEqual(
        consumer.settles.map((settle) => [settle.kind, settle.label]),
        [['delete', 'DeleteMessageBatchCommand']],
      );
      // zero iterations / continue: just the batch delete; return: nothing; processed: the insert then the delete
      assert.deepEqual(pathsOf(consumer), [
        '',
        `E${lineOf('INSERT INTO orders')} S${batch}:delete`,
        `S${batch}:delete`,
      ]);
      assert.ok(consumer.paths.some((path) => path.exit === 'return' && path.events.length === 0));
    },
  },
  {
    name: 'DeleteMessageBatchCommand after an awaited Promise.all(map(async …)) follows the body',
    files: {
      'consumer.ts': `${HEAD}
export async function poll(): Promise<void> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  await Promise.all(Messages.map(async (m) => {
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
  }));
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: [] }));
}
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(pathsOf(consumer), [
        `E${lineOf('INSERT INTO orders')} S${lineOf('new DeleteMessageBatchCommand')}:delete`,
      ]);
    },
  },
  {
    name: 'DeleteMessageBatchCommand after forEach(async …) comes before the body: nothing waits for it',
    files: {
      'consumer.ts': `${HEAD}
export async function poll(): Promise<void> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  Messages.forEach(async (m) => {
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
  });
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: [] }));
}
`,
    },
    check: ([consumer], { lineOf }) => {
      assert.deepEqual(pathsOf(consumer), [
        `S${lineOf('new DeleteMessageBatchCommand')}:delete E${lineOf('INSERT INTO orders')}`,
      ]);
    },
  },
  {
    name: 'a SET NX claim on m.MessageId is a valid message-level guard',
    files: {
      'consumer.ts': `${HEAD}import Redis from 'ioredis';

const redis = new Redis();

export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages ?? []) {
    const claimed = await redis.set(\`orders:\${m.MessageId}\`, '1', 'EX', 3600, 'NX');
    if (!claimed) continue;
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
  }
}
`,
    },
    check: ([consumer]) => {
      assert.equal(consumer.guards.length, 1);
      assert.equal(consumer.guards[0].kind, 'claim');
      assert.ok(
        consumer.guards[0].keyedByIdentity &&
          !consumer.guards[0].invalidReason &&
          consumer.guards[0].scope === 'message',
      );
      assert.equal(consumer.effectiveSemantics, 'effectively-once');
    },
  },
]);

// ---- rules ------------------------------------------------------------------------------------

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'client-sqs: insert awaited, then DeleteMessageCommand',
      code: `${HEAD}
export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages ?? []) {
    await pool.query('INSERT INTO orders (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [m.MessageId, m.Body]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
  }
}
`,
    },
    {
      name: 'client-sqs: DeleteMessageBatchCommand after an awaited Promise.all over the messages',
      code: `${HEAD}
export async function poll(): Promise<void> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  const jobs = Messages.map(async (m) => {
    await pool.query('UPDATE orders SET status = $1 WHERE id = $2', ['received', m.MessageId]);
  });
  await Promise.all(jobs);
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
}
`,
    },
  ],
  invalid: [
    {
      name: 'client-sqs: DeleteMessageCommand before the insert',
      code: `${HEAD}
export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages ?? []) {
    await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
  }
}
`,
      errors: [
        {
          line: 11,
          messageId: 'ackBeforeProcessing',
          data: ['client-sqs consumer', 'DeleteMessageCommand'],
          related: 2,
        },
      ],
    },
    {
      name: 'client-sqs: DeleteMessageBatchCommand after forEach(async …) deletes the batch while it is processed',
      code: `${HEAD}
export async function poll(): Promise<void> {
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  Messages.forEach(async (m) => {
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
  });
  await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
}
`,
      errors: [
        { line: 13, messageId: 'ackBeforeProcessing', data: ['DeleteMessageBatchCommand', 'INSERT INTO orders'] },
      ],
    },
  ],
});

ruleTester('missing-event-id-check', {
  valid: [
    {
      name: 'client-sqs: SET NX claim on m.MessageId, duplicates skipped with continue',
      code: `${HEAD}import Redis from 'ioredis';

const redis = new Redis();

export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages ?? []) {
    if (!(await redis.set(\`orders:\${m.MessageId}\`, 'processing', 'EX', 300, 'NX'))) continue;
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
  }
}
`,
    },
    {
      name: 'client-sqs: conflict-ignoring insert keyed by MessageId in a map callback',
      code: `${HEAD}
export async function poll(): Promise<void> {
  const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  await Promise.all((res.Messages ?? []).map(async (message) => {
    await pool.query('INSERT INTO orders (message_id, body) VALUES ($1, $2) ON CONFLICT (message_id) DO NOTHING', [message.MessageId, message.Body]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: message.ReceiptHandle }));
  }));
}
`,
    },
  ],
  invalid: [
    {
      name: 'client-sqs: plain INSERT before the delete, no check',
      code: `${HEAD}
export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages ?? []) {
    await pool.query('INSERT INTO invoices (order_body) VALUES ($1)', [m.Body]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
  }
}
`,
      errors: [
        {
          line: 10,
          messageId: 'noIdentityCheck',
          data: [
            "client-sqs consumer of queue 'orders-placed'",
            'INSERT INTO invoices',
            'makes SQS deliver it again',
            'message.MessageId',
          ],
          related: 2,
        },
      ],
    },
    {
      name: 'client-sqs: a claim keyed by a fresh randomUUID() guards nothing',
      code: `${HEAD}import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';

const redis = new Redis();

export async function poll(): Promise<void> {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL }));
  for (const m of Messages ?? []) {
    if (!(await redis.set(\`orders:\${randomUUID()}\`, '1', 'EX', 300, 'NX'))) continue;
    await pool.query('INSERT INTO invoices (order_body) VALUES ($1)', [m.Body]);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
  }
}
`,
      errors: [{ line: 14, messageId: 'invalidIdentityCheck', data: 'made fresh on every delivery' }],
    },
  ],
});
