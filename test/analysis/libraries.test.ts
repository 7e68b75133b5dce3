/**
 * Consumer recognition (docs/model.md, "Per-library behaviour") for kafkajs, amqplib (+ amqp-connection-manager) and
 * sqs-consumer: each registration form, with the broker types installed (typed) and without any
 * node_modules (untyped). Assertions read the analysis result's `consumers` (ConsumerReport).
 */
import { type RecognitionCase, recognitionTests } from '../helpers/recognition';

const KAFKA = `import { Kafka, type EachMessagePayload, type EachBatchPayload } from 'kafkajs';

const kafka = new Kafka({ clientId: 'shipping', brokers: ['kafka-1:9092', 'kafka-2:9092'] });
`;

const cases: RecognitionCase[] = [
  {
    name: 'kafkajs eachMessage inline, topic from subscribe({ topic })',
    files: {
      'consumer.ts': `${KAFKA}
const consumer = kafka.consumer({ groupId: 'shipping' });

export async function start(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders.paid', fromBeginning: false });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      console.log(topic, partition, message.offset);
    },
  });
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachMessage',
        ackMode: 'implicit-after-return',
        source: 'orders.paid',
        handlerName: 'eachMessage',
        identityExpression: '`${topic}:${partition}:${message.offset}`',
        handlerAt: { text: 'eachMessage: async ({ topic, partition, message })' },
      },
    ],
  },
  {
    name: 'kafkajs eachBatch with topics: [...] (implicit by default)',
    files: {
      'consumer.ts': `${KAFKA}
const consumer = kafka.consumer({ groupId: 'shipping-batch' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topics: ['orders.paid', 'orders.cancelled'] });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
      for (const message of batch.messages) {
        console.log(batch.topic, message.offset);
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachBatch',
        ackMode: 'implicit-after-return',
        source: 'orders.paid, orders.cancelled',
        identityExpression: null,
      },
    ],
  },
  {
    name: 'kafkajs eachBatch with eachBatchAutoResolve: false is explicit',
    files: {
      'consumer.ts': `${KAFKA}import type { ConsumerRunConfig } from 'kafkajs';

const consumer = kafka.consumer({ groupId: 'ledger' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'ledger.entries' });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (const message of batch.messages) {
        resolveOffset(message.offset);
      }
      await commitOffsetsIfNecessary();
    },
  });
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachBatch',
        ackMode: 'explicit',
        source: 'ledger.entries',
        ackModeAt: 'eachBatchAutoResolve: false',
      },
    ],
  },
  {
    name: 'kafkajs autoCommit: false makes eachMessage explicit; payload parameter gives the identity expression',
    files: {
      'consumer.ts': `${KAFKA}
const consumer = kafka.consumer({ groupId: 'manual' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    autoCommit: false,
    eachMessage: async (payload: EachMessagePayload) => {
      const next = (BigInt(payload.message.offset) + 1n).toString();
      await consumer.commitOffsets([{ topic: payload.topic, partition: payload.partition, offset: next }]);
    },
  });
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachMessage',
        ackMode: 'explicit',
        source: 'payments.captured',
        identityExpression: '`${payload.topic}:${payload.partition}:${payload.message.offset}`',
        ackModeAt: 'autoCommit: false',
      },
    ],
  },
  {
    name: 'kafkajs loaded with require() instead of import',
    files: {
      'consumer.ts': `const { Kafka } = require('kafkajs');

const kafka = new Kafka({ clientId: 'legacy', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'legacy' });

async function main() {
  await consumer.subscribe({ topic: 'legacy.events' });
  await consumer.run({
    eachMessage: async ({ message }: { message: { offset: string; value: Buffer | null } }) => {
      console.log(message.offset);
    },
  });
}

main().catch(console.error);
`,
    },
    expect: [{ library: 'kafkajs', form: 'eachMessage', ackMode: 'implicit-after-return', source: 'legacy.events' }],
  },
  {
    name: 'kafkajs handler defined as a named function',
    files: {
      'consumer.ts': `${KAFKA}
const consumer = kafka.consumer({ groupId: 'shipping' });

async function handleOrderPaid({ topic, partition, message }: EachMessagePayload): Promise<void> {
  console.log('paid', topic, partition, message.offset);
}

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.paid' });
  await consumer.run({ eachMessage: handleOrderPaid });
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachMessage',
        ackMode: 'implicit-after-return',
        source: 'orders.paid',
        handlerName: 'handleOrderPaid',
        identityExpression: '`${topic}:${partition}:${message.offset}`',
        handlerAt: { text: 'async function handleOrderPaid(' },
      },
    ],
  },
  {
    name: 'kafkajs handler imported from another file',
    files: {
      'handlers/orders.ts': `import type { EachMessagePayload } from 'kafkajs';

export const onOrderShipped = async ({ message }: EachMessagePayload): Promise<void> => {
  console.log('shipped', message.offset);
};
`,
      'consumer.ts': `${KAFKA}
import { onOrderShipped } from './handlers/orders';

const consumer = kafka.consumer({ groupId: 'notifications' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'orders.shipped' });
  await consumer.run({ eachMessage: onOrderShipped });
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachMessage',
        ackMode: 'implicit-after-return',
        source: 'orders.shipped',
        handlerName: 'onOrderShipped',
        handlerAt: { file: 'handlers/orders.ts', text: 'export const onOrderShipped' },
      },
    ],
  },
  {
    name: 'kafkajs class method passed with .bind(this)',
    files: {
      'consumer.ts': `${KAFKA}
export class InvoiceConsumer {
  private readonly consumer = kafka.consumer({ groupId: 'invoices' });
  private processed = 0;

  async start(): Promise<void> {
    await this.consumer.subscribe({ topic: 'invoices.issued' });
    await this.consumer.run({ eachMessage: this.handle.bind(this) });
  }

  async handle({ message }: EachMessagePayload): Promise<void> {
    this.processed++;
    console.log('invoice', message.offset, this.processed);
  }
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachMessage',
        ackMode: 'implicit-after-return',
        source: 'invoices.issued',
        handlerName: 'InvoiceConsumer.handle',
        handlerAt: { text: 'async handle({ message }' },
      },
    ],
  },
  {
    name: 'kafkajs class with an arrow-function property as the handler',
    files: {
      'consumer.ts': `${KAFKA}
export class RefundConsumer {
  private readonly consumer = kafka.consumer({ groupId: 'refunds' });

  private readonly onRefund = async ({ message }: EachMessagePayload): Promise<void> => {
    console.log('refund', message.offset);
  };

  async start(): Promise<void> {
    await this.consumer.subscribe({ topic: 'refunds.requested' });
    await this.consumer.run({ eachMessage: this.onRefund });
  }
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachMessage',
        ackMode: 'implicit-after-return',
        source: 'refunds.requested',
        handlerName: 'onRefund',
        handlerAt: { text: 'private readonly onRefund' },
      },
    ],
  },
  {
    name: 'kafkajs shorthand { eachMessage }',
    files: {
      'consumer.ts': `${KAFKA}
const consumer = kafka.consumer({ groupId: 'audit' });

async function eachMessage({ message }: EachMessagePayload): Promise<void> {
  console.log('audit', message.offset);
}

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'audit.trail' });
  await consumer.run({ eachMessage });
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachMessage',
        ackMode: 'implicit-after-return',
        source: 'audit.trail',
        handlerName: 'eachMessage',
        handlerAt: { text: 'async function eachMessage(' },
      },
    ],
  },
  {
    name: 'kafkajs consumer created in another module (no kafkajs import in the registering file)',
    files: {
      'kafka.ts': `import { Kafka } from 'kafkajs';

export const consumer = new Kafka({ clientId: 'search', brokers: ['kafka:9092'] }).consumer({ groupId: 'search-indexer' });
`,
      'consumer.ts': `import { consumer } from './kafka';

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'products.updated' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      console.log(message.offset);
    },
  });
}
`,
    },
    expect: [{ library: 'kafkajs', form: 'eachMessage', ackMode: 'implicit-after-return', source: 'products.updated' }],
  },

  {
    name: 'kafkajs run options held in a variable whose handler each branch assigns',
    files: {
      'consumer.ts': `${KAFKA}import type { ConsumerRunConfig } from 'kafkajs';

const consumer = kafka.consumer({ groupId: 'ledger' });

async function onBatch({ batch }: EachBatchPayload): Promise<void> {
  console.log('batch', batch.messages.length);
}

export async function start(batchProcessing: boolean): Promise<void> {
  await consumer.subscribe({ topic: 'ledger.entries' });
  const runConfig: ConsumerRunConfig = { autoCommit: false, partitionsConsumedConcurrently: 4 };
  if (batchProcessing) {
    runConfig.eachBatch = onBatch;
  } else {
    runConfig.eachMessage = async ({ topic, partition, message }) => {
      console.log(topic, partition, message.offset);
    };
  }
  await consumer.run(runConfig);
}
`,
    },
    expect: [
      {
        library: 'kafkajs',
        form: 'eachBatch',
        ackMode: 'explicit',
        source: 'ledger.entries',
        handlerName: 'onBatch',
        handlerAt: { text: 'async function onBatch(' },
        registrationAt: 'await consumer.run(runConfig);',
        ackModeAt: 'const runConfig: ConsumerRunConfig = { autoCommit: false, partitionsConsumedConcurrently: 4 };',
      },
      {
        library: 'kafkajs',
        form: 'eachMessage',
        ackMode: 'explicit',
        source: 'ledger.entries',
        handlerAt: { text: 'runConfig.eachMessage = async ({ topic, partition, message }) => {' },
        registrationAt: 'await consumer.run(runConfig);',
      },
    ],
  },
  {
    name: 'kafkajs two consumers in one file each get their own subscribed topic (one from a const)',
    files: {
      'consumer.ts': `${KAFKA}
const ORDERS_TOPIC = 'orders.created';
const orders = kafka.consumer({ groupId: 'orders' });
const returns = kafka.consumer({ groupId: 'returns' });

export async function start(): Promise<void> {
  await orders.subscribe({ topic: ORDERS_TOPIC });
  await returns.subscribe({ topic: 'returns.created' });
  await orders.run({ eachMessage: async ({ message }) => console.log('order', message.offset) });
  await returns.run({ eachMessage: async ({ message }) => console.log('return', message.offset) });
}
`,
    },
    expect: [
      { library: 'kafkajs', form: 'eachMessage', ackMode: 'implicit-after-return', source: 'orders.created' },
      { library: 'kafkajs', form: 'eachMessage', ackMode: 'implicit-after-return', source: 'returns.created' },
    ],
  },
  {
    name: 'kafkajs topic given as a RegExp is not a static name',
    files: {
      'consumer.ts': `${KAFKA}
const consumer = kafka.consumer({ groupId: 'catch-all' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: /^tenant-.*.events$/ });
  await consumer.run({ eachMessage: async ({ message }) => console.log(message.offset) });
}
`,
    },
    expect: [{ library: 'kafkajs', form: 'eachMessage', ackMode: 'implicit-after-return', source: null }],
  },
  // ---- amqplib ------------------------------------------------------------------------------

  {
    name: 'amqplib channel.consume with manual ack',
    files: {
      'consumer.ts': `import amqp from 'amqplib';

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.assertQueue('orders', { durable: true });
  await channel.prefetch(10);
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    console.log(msg.content.toString());
    channel.ack(msg);
  });
}
`,
    },
    expect: [
      {
        library: 'amqplib',
        form: 'consume',
        ackMode: 'explicit',
        source: 'orders',
        identityExpression: 'msg.properties.messageId',
        handlerAt: { text: 'async (msg) =>' },
      },
    ],
  },
  {
    name: 'amqplib noAck: true is acked before the handler runs',
    files: {
      'consumer.ts': `import * as amqp from 'amqplib';

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume(
    'page-views',
    (message) => {
      if (message) console.log(message.content.length);
    },
    { noAck: true },
  );
}
`,
    },
    expect: [
      {
        library: 'amqplib',
        form: 'consume',
        ackMode: 'auto-before-handler',
        source: 'page-views',
        identityExpression: 'message.properties.messageId',
        ackModeAt: '{ noAck: true }',
      },
    ],
  },
  {
    name: 'amqplib noAck: false stays explicit',
    files: {
      'consumer.ts': `import amqp from 'amqplib';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('emails', (msg) => msg && channel.ack(msg), { noAck: false, exclusive: false });
}
`,
    },
    expect: [{ library: 'amqplib', form: 'consume', ackMode: 'explicit', source: 'emails' }],
  },
  {
    name: 'amqplib queue name from a const and a named handler',
    files: {
      'consumer.ts': `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';

const INVOICE_QUEUE = 'billing.invoices';
let channel: Channel;

async function onInvoice(msg: ConsumeMessage | null): Promise<void> {
  if (!msg) return;
  console.log(msg.properties.messageId);
  channel.ack(msg);
}

export async function start(): Promise<void> {
  channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.assertQueue(INVOICE_QUEUE);
  await channel.consume(INVOICE_QUEUE, onInvoice);
}
`,
    },
    expect: [
      {
        library: 'amqplib',
        form: 'consume',
        ackMode: 'explicit',
        source: 'billing.invoices',
        handlerName: 'onInvoice',
        identityExpression: 'msg.properties.messageId',
        handlerAt: { text: 'async function onInvoice(' },
      },
    ],
  },
  {
    name: 'amqplib callback API',
    files: {
      'consumer.ts': `import amqp from 'amqplib/callback_api';

amqp.connect('amqp://rabbit', (error: Error | null, connection: any) => {
  if (error) throw error;
  connection.createChannel((channelError: Error | null, channel: any) => {
    if (channelError) throw channelError;
    channel.consume('thumbnails', (msg: any) => {
      console.log(msg.content.toString());
      channel.ack(msg);
    });
  });
});
`,
    },
    expect: [{ library: 'amqplib', form: 'consume', ackMode: 'explicit', source: 'thumbnails' }],
  },
  {
    name: 'amqp-connection-manager createChannel({ setup }) consuming inside setup',
    files: {
      'consumer.ts': `import amqp from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';

const connection = amqp.connect(['amqp://rabbit-1', 'amqp://rabbit-2']);

export const wrapper = connection.createChannel({
  json: true,
  setup: async (channel: ConfirmChannel) => {
    await channel.assertQueue('notifications', { durable: true });
    await channel.prefetch(5);
    await channel.consume('notifications', async (msg: ConsumeMessage | null) => {
      if (!msg) return;
      console.log(JSON.parse(msg.content.toString()));
      channel.ack(msg);
    });
  },
});
`,
    },
    expect: [
      {
        library: 'amqplib',
        form: 'consume',
        ackMode: 'explicit',
        source: 'notifications',
        identityExpression: 'msg.properties.messageId',
      },
    ],
  },

  {
    name: 'amqp-connection-manager ChannelWrapper.consume',
    files: {
      'consumer.ts': `import amqp from 'amqp-connection-manager';

const connection = amqp.connect(['amqp://rabbit']);
const wrapper = connection.createChannel({ json: true });

export async function start(): Promise<void> {
  await wrapper.consume('webhooks', async (msg: any) => {
    console.log(msg.content.toString());
    wrapper.ack(msg);
  }, { prefetch: 20 });
}
`,
    },
    expect: [
      {
        library: 'amqplib',
        form: 'consume',
        ackMode: 'explicit',
        source: 'webhooks',
        identityExpression: 'msg.properties.messageId',
      },
    ],
  },
  {
    name: 'amqplib class method handler with .bind(this)',
    files: {
      'consumer.ts': `import amqp, { type Channel, type ConsumeMessage } from 'amqplib';

export class ReportWorker {
  private channel?: Channel;

  async start(): Promise<void> {
    this.channel = await (await amqp.connect('amqp://rabbit')).createChannel();
    await this.channel.consume('reports', this.onReport.bind(this));
  }

  private async onReport(msg: ConsumeMessage | null): Promise<void> {
    if (!msg) return;
    console.log(msg.content.length);
    this.channel?.ack(msg);
  }
}
`,
    },
    expect: [
      {
        library: 'amqplib',
        form: 'consume',
        ackMode: 'explicit',
        source: 'reports',
        handlerName: 'ReportWorker.onReport',
        handlerAt: { text: 'private async onReport(' },
      },
    ],
  },
  {
    name: 'amqplib channel made by a factory in another module (followed through its return)',
    files: {
      'rabbit.ts': `import amqp, { type Channel } from 'amqplib';

export async function openChannel(): Promise<Channel> {
  const connection = await amqp.connect(process.env.AMQP_URL ?? 'amqp://localhost');
  return connection.createChannel();
}
`,
      'consumer.ts': `import { openChannel } from './rabbit';

export async function start(): Promise<void> {
  const channel = await openChannel();
  await channel.consume('exports', (msg) => {
    if (!msg) return;
    console.log(msg.fields.deliveryTag);
    channel.ack(msg);
  });
}
`,
    },
    expect: [{ library: 'amqplib', form: 'consume', ackMode: 'explicit', source: 'exports' }],
  },
  {
    name: 'amqplib server-named queue from assertQueue has no static source',
    files: {
      'consumer.ts': `import amqp from 'amqplib';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true });
  await channel.bindQueue(queue, 'events', '#');
  await channel.consume(queue, (msg) => msg && channel.ack(msg));
}
`,
    },
    expect: [{ library: 'amqplib', form: 'consume', ackMode: 'explicit', source: null }],
  },
  // ---- sqs-consumer ---------------------------------------------------------------------------

  {
    name: 'sqs-consumer Consumer.create with handleMessage; queue from the URL last segment',
    files: {
      'consumer.ts': `import { Consumer } from 'sqs-consumer';
import { SQSClient } from '@aws-sdk/client-sqs';

export const app = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/order-events',
  sqs: new SQSClient({ region: 'eu-west-1' }),
  batchSize: 10,
  handleMessage: async (message) => {
    console.log(message.MessageId, message.Body);
    return message;
  },
});

app.on('error', (error) => console.error(error.message));
app.start();
`,
    },
    expect: [
      {
        library: 'sqs-consumer',
        form: 'handleMessage',
        ackMode: 'implicit-after-return',
        source: 'order-events',
        identityExpression: 'message.MessageId',
        handlerAt: { text: 'handleMessage: async (message) =>' },
      },
    ],
  },
  {
    name: 'sqs-consumer new Consumer with a named handler',
    files: {
      'consumer.ts': `import { Consumer } from 'sqs-consumer';
import type { Message } from '@aws-sdk/client-sqs';

async function handleRefund(msg: Message): Promise<Message> {
  console.log('refund', msg.MessageId);
  return msg;
}

export const refunds = new Consumer({
  queueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/refunds',
  handleMessage: handleRefund,
});
`,
    },
    expect: [
      {
        library: 'sqs-consumer',
        form: 'handleMessage',
        ackMode: 'implicit-after-return',
        source: 'refunds',
        handlerName: 'handleRefund',
        identityExpression: 'msg.MessageId',
        handlerAt: { text: 'async function handleRefund(' },
      },
    ],
  },
  {
    name: 'sqs-consumer handleMessageBatch; FIFO queue URL from a const',
    files: {
      'consumer.ts': `import { Consumer } from 'sqs-consumer';

const QUEUE_URL = 'https://sqs.eu-central-1.amazonaws.com/111122223333/ledger-updates.fifo';

export const ledger = Consumer.create({
  queueUrl: QUEUE_URL,
  batchSize: 10,
  handleMessageBatch: async (messages) => {
    for (const message of messages) console.log(message.MessageId);
    return messages;
  },
});
`,
    },
    expect: [
      {
        library: 'sqs-consumer',
        form: 'handleMessageBatch',
        ackMode: 'implicit-after-return',
        source: 'ledger-updates.fifo',
        identityExpression: null,
      },
    ],
  },
  {
    name: 'sqs-consumer queue URL built from an environment prefix keeps its last segment',
    files: {
      'consumer.ts': `import { Consumer } from 'sqs-consumer';

export const emails = Consumer.create({
  queueUrl: \`\${process.env.SQS_BASE_URL}/outbound-emails\`,
  handleMessage: async (message) => {
    console.log(message.Body);
    return message;
  },
});
`,
    },
    expect: [
      { library: 'sqs-consumer', form: 'handleMessage', ackMode: 'implicit-after-return', source: 'outbound-emails' },
    ],
  },
  {
    name: 'sqs-consumer imported under another name (import { Consumer as SqsConsumer })',
    files: {
      'consumer.ts': `import { Consumer as SqsConsumer } from 'sqs-consumer';

export const created = SqsConsumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/user-created',
  handleMessage: async (message) => {
    console.log(message.MessageId);
    return message;
  },
});

export const deleted = new SqsConsumer({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/user-deleted',
  handleMessage: async (message) => {
    console.log(message.MessageId);
    return message;
  },
});
`,
    },
    expect: [
      { library: 'sqs-consumer', form: 'handleMessage', ackMode: 'implicit-after-return', source: 'user-created' },
      { library: 'sqs-consumer', form: 'handleMessage', ackMode: 'implicit-after-return', source: 'user-deleted' },
    ],
  },
  {
    name: 'sqs-consumer through a namespace import (sqs.Consumer.create)',
    files: {
      'consumer.ts': `import * as sqs from 'sqs-consumer';

export const audits = sqs.Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/audit-log',
  handleMessage: async (message) => {
    console.log(message.Body);
    return message;
  },
});
`,
    },
    expect: [{ library: 'sqs-consumer', form: 'handleMessage', ackMode: 'implicit-after-return', source: 'audit-log' }],
  },
  {
    name: 'two registrations in one file are two consumers',
    files: {
      'consumer.ts': `import { Kafka } from 'kafkajs';
import amqp from 'amqplib';

const consumer = new Kafka({ clientId: 'bridge', brokers: ['kafka:9092'] }).consumer({ groupId: 'bridge' });

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'bridge.in' });
  await consumer.run({ eachMessage: async ({ message }) => console.log(message.offset) });
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('bridge.out', (msg) => msg && channel.ack(msg));
}
`,
    },
    expect: [
      { library: 'kafkajs', form: 'eachMessage', ackMode: 'implicit-after-return', source: 'bridge.in' },
      { library: 'amqplib', form: 'consume', ackMode: 'explicit', source: 'bridge.out' },
    ],
  },

  // ---- not consumers ------------------------------------------------------------------------

  {
    name: 'negative: .run({ eachMessage }) with an untyped receiver in a file not importing kafkajs',
    files: {
      'consumer.ts': `export async function startWorker(runner: any): Promise<void> {
  await runner.run({
    eachMessage: async ({ message }: { message: { offset: string } }) => {
      console.log(message.offset);
    },
  });
}
`,
    },
    expect: [],
  },
  {
    name: 'negative: something.consume(x, y) without an amqplib import',
    files: {
      'consumer.ts': `type Listener = (item: string) => void;

class TokenStream {
  private readonly listeners = new Map<string, Listener>();
  consume(name: string, listener: Listener): void {
    this.listeners.set(name, listener);
  }
}

const stream = new TokenStream();
stream.consume('tokens', (item) => console.log(item));

export function attach(source: { consume(queue: string, fn: (m: unknown) => void): void }): void {
  source.consume('jobs', (m) => console.log(m));
}
`,
    },
    expect: [],
  },
  {
    name: 'negative: a local class named Consumer with handleMessage is not sqs-consumer',
    files: {
      'consumer.ts': `class Consumer {
  static create(options: { queueUrl: string; handleMessage: (m: { Body?: string }) => Promise<void> }): Consumer {
    return new Consumer(options);
  }
  constructor(readonly options: { queueUrl: string; handleMessage: (m: { Body?: string }) => Promise<void> }) {}
}

export const local = Consumer.create({
  queueUrl: 'memory://jobs',
  handleMessage: async (m) => console.log(m.Body),
});
`,
    },
    expect: [],
  },
];

recognitionTests('kafkajs, amqplib and sqs-consumer', cases);
