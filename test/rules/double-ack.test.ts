/**
 * double-ack (docs/rules/double-ack.md; docs/model.md, "How the rules share a handler"): a path settles the same message twice
 * (ack then nack, an ack in a loop and again after it, an ack in a try and in its finally), an ack
 * a loop repeats, or an explicit settle inside an auto-acked handler. Reported on the second
 * settle. Only where a second settle breaks something (RabbitMQ: 406 and the channel closes;
 * Service Bus: the settle throws); Kafka commits, Pub/Sub acks and SQS deletes twice are harmless.
 */
import { type ExpectedFinding, type InvalidRuleTestCase, type RuleTestCase, ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';

const RULE = 'double-ack';

type Located = Omit<ExpectedFinding, 'line' | 'file'> & { at: string };

function invalid(c: Omit<InvalidRuleTestCase, 'errors'> & { findings: Located[] }): InvalidRuleTestCase {
  const { findings, ...rest } = c;
  return { ...rest, errors: findings.map(({ at, ...expected }) => ({ ...expected, line: lineOf(c.code, at) })) };
}

const AMQP_HEAD = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();
`;

function amqp(body: string, options = ''): string {
  return `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
${body}
  }${options});
}
`;
}

const ACK_THEN_NACK = amqp(`    const order = JSON.parse(msg.content.toString()) as { id: string; total: number };
    try {
      channel.ack(msg);
      await pool.query('INSERT INTO invoices (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
    } catch (error) {
      console.error(error);
      channel.nack(msg, false, true); // second settle
    }`);

const LOOP_AND_AFTER =
  amqp(`    const order = JSON.parse(msg.content.toString()) as { lines: { sku: string; qty: number }[] };
    for (const line of order.lines) {
      await pool.query('UPDATE stock SET reserved = reserved + $1 WHERE sku = $2', [line.qty, line.sku]);
      channel.ack(msg); // in the loop
    }
    channel.ack(msg); // after the loop`);

const LOOP_ONLY =
  amqp(`    const order = JSON.parse(msg.content.toString()) as { lines: { sku: string; qty: number }[] };
    for (const line of order.lines) {
      await pool.query('UPDATE stock SET reserved = reserved + $1 WHERE sku = $2', [line.qty, line.sku]);
      channel.ack(msg); // once per line
    }`);

const TRY_AND_FINALLY = amqp(`    try {
      await pool.query('INSERT INTO audit (payload) VALUES ($1)', [msg.content.toString()]);
      channel.ack(msg);
    } finally {
      channel.ack(msg); // again
    }`);

const AUTO_ACK = amqp(
  `    await pool.query('INSERT INTO audit (payload) VALUES ($1)', [msg.content.toString()]);
    channel.ack(msg); // explicit ack under noAck`,
  ', { noAck: true }',
);

const HELPER = `import type { Channel, ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';
const pool = new Pool();

export async function storeAndAck(channel: Channel, msg: ConsumeMessage): Promise<void> {
  await pool.query('INSERT INTO audit (payload) VALUES ($1)', [msg.content.toString()]);
  channel.ack(msg);
}
`;

const HELPER_CONSUMER = `import amqp from 'amqplib';
import { storeAndAck } from './services/audit';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('audit', async (msg) => {
    if (!msg) return;
    await storeAndAck(channel, msg);
    channel.ack(msg); // the helper already acked
  });
}
`;

const NEST_MODULE = `import { Module } from '@nestjs/common';
import { OrdersController } from './consumer';

@Module({ controllers: [OrdersController] })
export class AppModule {}
`;

function nestBootstrap(options: string): string {
  return `import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    transport: Transport.RMQ,
    options: { urls: ['amqp://localhost:5672'], queue: 'orders'${options} },
  });
  await app.listen();
}
void bootstrap();
`;
}

const NEST_CONTROLLER = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class OrdersController {
  @EventPattern('order_created')
  async onOrderCreated(@Payload() order: { id: string; total: number }, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    try {
      await pool.query('INSERT INTO order_totals (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
      channel.ack(context.getMessage());
    } finally {
      channel.ack(context.getMessage()); // twice on success
    }
  }
}
`;

const NEST_AUTO_CONTROLLER = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class OrdersController {
  @EventPattern('order_created')
  async onOrderCreated(@Payload() order: { id: string; total: number }, @Ctx() context: RmqContext): Promise<void> {
    await pool.query('INSERT INTO order_totals (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
    context.getChannelRef().ack(context.getMessage()); // Nest already acked (noAck defaults to true)
  }
}
`;

const SERVICE_BUS_HEAD = `import { ServiceBusClient } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const sbClient = new ServiceBusClient(process.env.SERVICE_BUS_CONNECTION ?? '');
`;

const SERVICE_BUS_TWICE = `${SERVICE_BUS_HEAD}
const receiver = sbClient.createReceiver('invoices');

receiver.subscribe(
  {
    processMessage: async (message) => {
      try {
        await receiver.completeMessage(message);
        await pool.query('INSERT INTO invoices (id) VALUES ($1)', [message.messageId]);
      } catch (error) {
        await receiver.abandonMessage(message); // already completed
      }
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`;

const SERVICE_BUS_RECEIVE_AND_DELETE = `${SERVICE_BUS_HEAD}
const receiver = sbClient.createReceiver('telemetry', { receiveMode: 'receiveAndDelete' });

receiver.subscribe({
  processMessage: async (message) => {
    await pool.query('INSERT INTO readings (body) VALUES ($1)', [JSON.stringify(message.body)]);
    await receiver.completeMessage(message); // not allowed in receiveAndDelete mode
  },
  processError: async (args) => console.error(args.error),
});
`;

const valid: RuleTestCase[] = [
  {
    name: 'amqplib: ack on success, nack in the catch: one settle per path',
    code: amqp(`    try {
      await pool.query('INSERT INTO invoices (id) VALUES ($1)', [msg.properties.messageId]);
      channel.ack(msg);
    } catch (error) {
      channel.nack(msg, false, true);
    }`),
  },
  {
    name: 'amqplib: ack and nack on the two branches of an if',
    code: amqp(`    const order = JSON.parse(msg.content.toString()) as { id?: string };
    if (order.id) {
      await pool.query('INSERT INTO invoices (id) VALUES ($1)', [order.id]);
      channel.ack(msg);
    } else {
      channel.reject(msg, false);
    }`),
  },
  {
    name: 'amqplib: an ack in a loop followed by return settles once',
    code: amqp(`    const order = JSON.parse(msg.content.toString()) as { lines: { sku: string }[] };
    for (const line of order.lines) {
      if (line.sku === 'GIFT') {
        channel.ack(msg);
        return;
      }
    }
    await pool.query('INSERT INTO orders (body) VALUES ($1)', [msg.content.toString()]);
    channel.ack(msg);`),
  },
  {
    name: 'amqplib: a finally that nacks only when the try did not ack (a success flag)',
    code: amqp(`    let acked = false;
    try {
      await pool.query('INSERT INTO audit (payload) VALUES ($1)', [msg.content.toString()]);
      channel.ack(msg);
      acked = true;
    } finally {
      if (!acked) channel.nack(msg, false, true);
    }`),
  },
  {
    name: 'kafkajs: commitOffsets twice on a path is harmless (Kafka keeps the latest committed offset)',
    code: `import { Kafka } from 'kafkajs';
const consumer = new Kafka({ clientId: 'a', brokers: ['kafka:9092'] }).consumer({ groupId: 'g' });
export async function run(): Promise<void> {
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      console.log(message.value?.toString());
      await consumer.commitOffsets([{ topic, partition, offset: (Number(message.offset) + 1).toString() }]);
      await consumer.commitOffsets([{ topic, partition, offset: (Number(message.offset) + 1).toString() }]);
    },
  });
}
`,
  },
  {
    name: 'sqs-consumer: the handler returns the message, the library deletes it once',
    code: `import { Consumer } from 'sqs-consumer';
export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    console.log(message.Body);
    return message;
  },
});
`,
  },
  {
    name: 'Pub/Sub: ack then nack is ignored by the client the second time (harmless)',
    code: `import { PubSub, type Message } from '@google-cloud/pubsub';
const subscription = new PubSub().subscription('orders');
subscription.on('message', (message: Message) => {
  message.ack();
  message.nack();
});
`,
  },
  {
    name: 'Service Bus peekLock: complete on success, abandon on failure',
    code: `${SERVICE_BUS_HEAD}
const receiver = sbClient.createReceiver('invoices');
receiver.subscribe(
  {
    processMessage: async (message) => {
      try {
        await pool.query('INSERT INTO invoices (id) VALUES ($1)', [message.messageId]);
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
    name: 'NestJS RMQ with noAck: false, acking once after the work',
    code: NEST_AUTO_CONTROLLER.replace(' // Nest already acked (noAck defaults to true)', ''),
    files: { 'main.ts': nestBootstrap(', noAck: false'), 'app.module.ts': NEST_MODULE },
  },
];

const invalidCases: InvalidRuleTestCase[] = [
  invalid({
    name: 'amqplib: ack in the try before the insert, nack in the catch when the insert fails',
    code: ACK_THEN_NACK,
    findings: [
      {
        at: '// second settle',
        messageId: 'settledTwice',
        data: ["amqplib consumer of queue 'orders'", 'channel.nack()', 'channel.ack()', '406 PRECONDITION_FAILED'],
        related: 2,
        severity: 'error',
      },
    ],
  }),
  invalid({
    name: 'amqplib: ack in a loop and again after it: one finding, on the ack after the loop',
    code: LOOP_AND_AFTER,
    findings: [{ at: '// after the loop', messageId: 'settledTwice' }],
  }),
  invalid({
    name: 'amqplib: an ack inside a loop over the order lines settles once per line',
    code: LOOP_ONLY,
    findings: [{ at: '// once per line', messageId: 'settledInLoop' }],
  }),
  invalid({
    name: 'amqplib: ack in the try and again in the finally',
    code: TRY_AND_FINALLY,
    findings: [{ at: '// again', messageId: 'settledTwice' }],
  }),
  invalid({
    name: 'amqplib noAck: true with an explicit ack',
    code: AUTO_ACK,
    findings: [{ at: '// explicit ack under noAck', messageId: 'settledAfterAutoAck', data: ['noAck: true', '406'] }],
  }),
  invalid({
    name: "amqplib: a helper acks, then the handler acks again: reported on the handler's ack",
    code: HELPER_CONSUMER,
    files: { 'services/audit.ts': HELPER },
    findings: [{ at: '// the helper already acked', messageId: 'settledTwice' }],
  }),
  invalid({
    name: 'NestJS RMQ (noAck: false): ack in the try and in the finally',
    code: NEST_CONTROLLER,
    files: { 'main.ts': nestBootstrap(', noAck: false'), 'app.module.ts': NEST_MODULE },
    findings: [{ at: '// twice on success', messageId: 'settledTwice', data: 'nestjs-microservices consumer' }],
  }),
  invalid({
    name: 'NestJS RMQ with the default noAck: an explicit ack in the handler',
    code: NEST_AUTO_CONTROLLER,
    files: { 'main.ts': nestBootstrap(''), 'app.module.ts': NEST_MODULE },
    findings: [
      {
        at: '// Nest already acked',
        messageId: 'settledAfterAutoAck',
        data: 'Nest consumes the RMQ queue with `noAck: true`',
      },
    ],
  }),
  invalid({
    name: 'Service Bus: completeMessage then abandonMessage in the catch',
    code: SERVICE_BUS_TWICE,
    findings: [
      {
        at: '// already completed',
        messageId: 'settledTwice',
        data: ['receiver.abandonMessage()', 'Service Bus rejects'],
      },
    ],
  }),
  invalid({
    name: 'Service Bus receiveAndDelete: completeMessage in the handler',
    code: SERVICE_BUS_RECEIVE_AND_DELETE,
    findings: [
      {
        at: '// not allowed in receiveAndDelete mode',
        messageId: 'settledAfterAutoAck',
        data: ["receiveMode: 'receiveAndDelete'", 'receiveAndDelete mode'],
      },
    ],
  }),
];

ruleTester(RULE, { valid, invalid: invalidCases });
