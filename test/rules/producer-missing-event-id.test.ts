/**
 * producer-missing-event-id (docs/rules/producer-missing-event-id.md): a publish that gives
 * its consumers no identity to dedup on. amqplib `publish`/`sendToQueue` without `messageId`, Kafka
 * `send`/`sendBatch` whose messages have neither a key nor an ID header, SQS FIFO
 * `SendMessageCommand` without `MessageDeduplicationId`, JetStream `js.publish` without `msgID`.
 * A file-level rule: producers need no consumer in the file. Reported on the publish call, as info.
 */
import { type ExpectedFinding, type InvalidRuleTestCase, ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';

const RULE = 'producer-missing-event-id';

/** What each finding of a case says: its message id and the data it names. */
type Expected = Pick<ExpectedFinding, 'messageId' | 'data' | 'message'>;

function invalid(name: string, code: string, markers: string[], expected: Expected): InvalidRuleTestCase {
  return {
    name,
    code,
    errors: markers.map((marker) => ({ line: lineOf(code, marker), ...expected, severity: 'info' as const })),
  };
}

const AMQP = `import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';

export interface OrderPlaced {
  eventId: string;
  orderId: string;
}

export async function openChannel() {
  return (await amqp.connect('amqp://rabbitmq')).createConfirmChannel();
}
`;

const KAFKA = `import { Kafka } from 'kafkajs';

const kafka = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] });
export const producer = kafka.producer();
`;

const SQS = `import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});
`;

const NATS = `import { connect } from 'nats';
`;

ruleTester(RULE, {
  valid: [
    {
      name: 'amqplib publish with a messageId made when the event is created',
      code: `${AMQP}
export async function publishOrder(order: { orderId: string }): Promise<void> {
  const channel = await openChannel();
  const event: OrderPlaced = { eventId: randomUUID(), orderId: order.orderId };
  channel.publish('orders', 'order.placed', Buffer.from(JSON.stringify(event)), { persistent: true, messageId: event.eventId });
}
`,
    },
    {
      name: 'amqplib sendToQueue with options from a const that sets messageId',
      code: `${AMQP}
export async function publishOrder(event: OrderPlaced): Promise<void> {
  const channel = await openChannel();
  const options = { persistent: true, messageId: event.eventId, contentType: 'application/json' };
  channel.sendToQueue('orders.placed', Buffer.from(JSON.stringify(event)), options);
}
`,
    },
    {
      name: 'amqplib RPC reply to replyTo with the correlationId (an answer, not an event)',
      code: `import amqp from 'amqplib';

export async function serveQuotes(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('quotes.rpc', (msg) => {
    if (!msg) return;
    channel.sendToQueue(msg.properties.replyTo, Buffer.from('{"price":42}'), { correlationId: msg.properties.correlationId });
    channel.ack(msg);
  });
}
`,
    },
    {
      name: 'amqplib options it cannot see (a parameter, a spread of the incoming properties)',
      code: `${AMQP}
export async function forward(channel: amqp.Channel, msg: amqp.ConsumeMessage, options: amqp.Options.Publish): Promise<void> {
  channel.publish('audit', 'order.forwarded', msg.content, options);
  channel.publish('audit', 'order.copied', msg.content, { ...msg.properties, headers: { copied: true } });
}
`,
    },
    {
      name: 'Kafka send with a key per message',
      code: `${KAFKA}
export async function publish(order: { id: string }): Promise<void> {
  await producer.send({ topic: 'orders', messages: [{ key: order.id, value: JSON.stringify(order) }] });
}
`,
    },
    {
      name: 'Kafka send with an event-id header, and mapped messages with an eventId header',
      code: `${KAFKA}
export async function publish(events: { id: string; body: string }[]): Promise<void> {
  await producer.send({ topic: 'orders', messages: [{ value: 'x', headers: { 'event-id': events[0].id } }] });
  await producer.send({ topic: 'orders', messages: events.map((event) => ({ value: event.body, headers: { eventId: event.id } })) });
}
`,
    },
    {
      name: 'Kafka messages it cannot see (built elsewhere)',
      code: `${KAFKA}
export async function publish(messages: { value: string }[]): Promise<void> {
  await producer.send({ topic: 'orders', messages });
}
`,
    },
    {
      name: 'SQS standard queue without a deduplication ID (not FIFO)',
      code: `${SQS}
export async function enqueue(body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/orders', MessageBody: body }));
}
`,
    },
    {
      name: 'SQS FIFO with a MessageDeduplicationId',
      code: `${SQS}
export async function enqueue(eventId: string, body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/orders.fifo', MessageBody: body, MessageGroupId: 'orders', MessageDeduplicationId: eventId }));
}
`,
    },
    {
      name: 'JetStream publish with msgID; core NATS publish has no dedup to give',
      code: `${NATS}
export async function publish(eventId: string, payload: Uint8Array): Promise<void> {
  const nc = await connect();
  const js = nc.jetstream();
  await js.publish('orders.placed', payload, { msgID: eventId });
  nc.publish('orders.telemetry', payload);
}
`,
    },
    {
      name: 'Pub/Sub publishes are not in the rule (Pub/Sub assigns the message ID)',
      code: `import { PubSub } from '@google-cloud/pubsub';

export async function publish(data: Buffer): Promise<void> {
  await new PubSub().topic('orders').publishMessage({ data });
}
`,
    },
  ],

  invalid: [
    invalid(
      'amqplib publish and sendToQueue without messageId (no options, and options without it)',
      `${AMQP}
export async function publishOrder(event: OrderPlaced): Promise<void> {
  const channel = await openChannel();
  channel.publish('orders', 'order.placed', Buffer.from(JSON.stringify(event)));
  channel.sendToQueue('emails', Buffer.from(event.orderId), { persistent: true });
}
`,
      ["channel.publish('orders'", "channel.sendToQueue('emails'"],
      { messageId: 'amqplibNoMessageId' },
    ),
    invalid(
      'amqplib publish inside a consumer (a downstream event without an ID)',
      `import amqp from 'amqplib';

export async function startEnricher(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.raw', (msg) => {
    if (!msg) return;
    channel.publish('orders', 'orders.enriched', msg.content, { contentType: 'application/json' });
    channel.ack(msg);
  });
}
`,
      ["channel.publish('orders'"],
      { messageId: 'amqplibNoMessageId', data: "amqplib publish to 'orders.enriched'" },
    ),
    invalid(
      'Kafka send whose message has only a value; sendBatch with one topic lacking keys',
      `${KAFKA}
export async function publish(order: { id: string }): Promise<void> {
  await producer.send({ topic: 'orders', messages: [{ value: JSON.stringify(order) }] });
  await producer.sendBatch({
    topicMessages: [
      { topic: 'audit', messages: [{ key: order.id, value: 'x' }] },
      { topic: 'metrics', messages: [{ value: 'placed' }, { value: 'counted', headers: { source: 'orders' } }] },
    ],
  });
}
`,
      ["await producer.send({ topic: 'orders'", 'await producer.sendBatch({'],
      { messageId: 'kafkaNoEventId' },
    ),
    invalid(
      'Kafka send of mapped messages without a key or ID header',
      `${KAFKA}
export async function publishAll(orders: { id: string }[]): Promise<void> {
  await producer.send({ topic: 'orders', messages: orders.map((order) => ({ value: JSON.stringify(order) })) });
}
`,
      ["await producer.send({ topic: 'orders'"],
      { messageId: 'kafkaNoEventId', data: "Kafka send to 'orders'" },
    ),
    invalid(
      'SQS FIFO (by the .fifo URL, and by MessageGroupId) without MessageDeduplicationId',
      `${SQS}
export async function enqueue(queueUrl: string, body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/orders.fifo', MessageBody: body, MessageGroupId: 'orders' }));
  const command = new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: 'refunds' });
  await sqs.send(command);
}
`,
      ["'https://sqs.eu-west-1.amazonaws.com/1/orders.fifo'", 'await sqs.send(command);'],
      { messageId: 'sqsFifoNoDeduplicationId' },
    ),
    invalid(
      'JetStream publish without msgID (no options, and options without it)',
      `${NATS}
export async function publish(payload: Uint8Array): Promise<void> {
  const nc = await connect();
  const js = nc.jetstream();
  await js.publish('orders.placed', payload);
  await js.publish('orders.cancelled', payload, { expect: { streamName: 'ORDERS' } });
}
`,
      ["await js.publish('orders.placed'", "await js.publish('orders.cancelled'"],
      { messageId: 'jetStreamNoMsgId' },
    ),
  ],
});
