/**
 * The producer-missing-event-id quick-fix (server/src/rules/fixes/producer-id.ts): an ID made with
 * randomUUID() from 'node:crypto' (the import added, merged into an existing one, or a namespace
 * import reused), as amqplib `messageId`, a Kafka `event-id` header, SQS FIFO
 * `MessageDeduplicationId` and JetStream `msgID`. Applied, compared with the exact text, re-analysed.
 */
import { fixScenarios } from '../helpers/fix-scenarios';

const TITLE_KEEP = 'made once per event; keep the same ID when this publish is retried';
/** Test programs load no automatic @types: node:crypto resolves in a real project with @types/node. */
const NODE_TYPES = [/'node:crypto'/];

const AMQP_NO_OPTIONS = `import amqp from 'amqplib';

export async function publishOrder(order: { id: string }): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  channel.publish('orders', 'order.placed', Buffer.from(JSON.stringify(order)));
}
`;

const AMQP_OPTIONS_AND_CRYPTO_IMPORT = `import amqp from 'amqplib';
import { createHash } from 'node:crypto';

export async function publishInvoice(invoice: { id: string; pdf: Buffer }): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  const checksum = createHash('sha256').update(invoice.pdf).digest('hex');
  channel.sendToQueue('invoices', invoice.pdf, {
    persistent: true,
    headers: { checksum },
  });
}
`;

const KAFKA = `import { Kafka } from 'kafkajs';

const producer = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] }).producer();

export async function publish(order: { id: string }): Promise<void> {
  await producer.send({
    topic: 'orders.placed',
    messages: [{ value: JSON.stringify(order) }, { value: 'audit', headers: { source: 'orders' } }],
  });
}
`;

const SQS_FIFO_NAMESPACE_CRYPTO = `import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import * as crypto from 'crypto';

const sqs = new SQSClient({});

export async function enqueue(body: string): Promise<void> {
  const signature = crypto.createHash('md5').update(body).digest('hex');
  await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/orders.fifo', MessageBody: body, MessageGroupId: signature }));
}
`;

const JETSTREAM = `import { connect } from 'nats';

export async function publish(payload: Uint8Array): Promise<void> {
  const nc = await connect();
  const js = nc.jetstream();
  await js.publish('orders.placed', payload);
}
`;

const TOP_LEVEL = `import amqp from 'amqplib';

const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
channel.publish('orders', 'order.placed', Buffer.from('{}'));
`;

const SHARED_OPTIONS = `import amqp from 'amqplib';

const OPTIONS = { persistent: true, contentType: 'application/json' };

export async function publishOrder(order: { id: string }): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  channel.publish('orders', 'order.placed', Buffer.from(JSON.stringify(order)), OPTIONS);
}
`;

fixScenarios(
  'producer-missing-event-id',
  [
    {
      name: 'amqplib publish without options: an options argument and the import',
      files: { 'consumer.ts': AMQP_NO_OPTIONS },
      at: "channel.publish('orders'",
      title: `Add messageId: randomUUID() (${TITLE_KEEP})`,
      safe: true,
      allowedCompileErrors: NODE_TYPES,
      expected: (text) =>
        text
          .replace(
            "import amqp from 'amqplib';\n",
            "import amqp from 'amqplib';\nimport { randomUUID } from 'node:crypto';\n",
          )
          .replace(
            'Buffer.from(JSON.stringify(order)));',
            'Buffer.from(JSON.stringify(order)), { messageId: randomUUID() });',
          ),
    },
    {
      name: 'amqplib sendToQueue with multi-line options; randomUUID joins the existing node:crypto import',
      files: { 'consumer.ts': AMQP_OPTIONS_AND_CRYPTO_IMPORT },
      at: "channel.sendToQueue('invoices'",
      title: `Add messageId: randomUUID() (${TITLE_KEEP})`,
      safe: true,
      expected: (text) =>
        text
          .replace("import { createHash } from 'node:crypto';", "import { createHash, randomUUID } from 'node:crypto';")
          .replace('    headers: { checksum },\n', '    headers: { checksum },\n    messageId: randomUUID(),\n'),
    },
    {
      name: "Kafka: an 'event-id' header on each message without a key or ID header",
      files: { 'consumer.ts': KAFKA },
      at: 'await producer.send({',
      title: `Add an 'event-id' header: randomUUID() (${TITLE_KEEP})`,
      safe: true,
      allowedCompileErrors: NODE_TYPES,
      expected: (text) =>
        text
          .replace(
            "import { Kafka } from 'kafkajs';\n",
            "import { Kafka } from 'kafkajs';\nimport { randomUUID } from 'node:crypto';\n",
          )
          .replace(
            "{ value: JSON.stringify(order) }, { value: 'audit', headers: { source: 'orders' } }",
            "{ value: JSON.stringify(order), headers: { 'event-id': randomUUID() } }, { value: 'audit', headers: { source: 'orders', 'event-id': randomUUID() } }",
          ),
    },
    {
      name: "SQS FIFO: MessageDeduplicationId, through the file's `import * as crypto`",
      files: { 'consumer.ts': SQS_FIFO_NAMESPACE_CRYPTO },
      at: 'await sqs.send(new SendMessageCommand',
      title: `Add MessageDeduplicationId: randomUUID() (${TITLE_KEEP})`,
      expected: (text) =>
        text.replace(
          'MessageGroupId: signature }',
          'MessageGroupId: signature, MessageDeduplicationId: crypto.randomUUID() }',
        ),
    },
    {
      name: 'JetStream: an options argument with msgID',
      files: { 'consumer.ts': JETSTREAM },
      at: "await js.publish('orders.placed'",
      title: `Add msgID: randomUUID() (${TITLE_KEEP})`,
      safe: true,
      allowedCompileErrors: NODE_TYPES,
      expected: (text) =>
        text
          .replace(
            "import { connect } from 'nats';\n",
            "import { connect } from 'nats';\nimport { randomUUID } from 'node:crypto';\n",
          )
          .replace(
            "js.publish('orders.placed', payload);",
            "js.publish('orders.placed', payload, { msgID: randomUUID() });",
          ),
    },
  ],
  [
    {
      name: 'a publish at the top level of a module (not made once per event)',
      files: { 'consumer.ts': TOP_LEVEL },
      at: "channel.publish('orders'",
    },
    {
      name: 'options shared through a const: adding the ID there would reuse one ID for every event',
      files: { 'consumer.ts': SHARED_OPTIONS },
      at: "channel.publish('orders'",
    },
  ],
);
