/**
 * at-most-once-consumer (docs/rules/at-most-once-consumer.md; docs/model.md, "How the rules share a handler"): a consumer acked on
 * delivery (amqplib `noAck: true`, Service Bus `receiveAndDelete`, NestJS RMQ's default) whose
 * handler reaches a duplicate-unsafe effect. Reported on the registration, with the option and the
 * effects as related locations; not when the handler (or its queue, in config) is declared
 * at-most-once; never on consumers that ack after their handler.
 */
import { type ExpectedFinding, type InvalidRuleTestCase, type RuleTestCase, ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';

const RULE = 'at-most-once-consumer';

type Located = Omit<ExpectedFinding, 'line' | 'file'> & { at: string };

function invalid(c: Omit<InvalidRuleTestCase, 'errors'> & { findings: Located[] }): InvalidRuleTestCase {
  const { findings, ...rest } = c;
  return { ...rest, errors: findings.map(({ at, ...expected }) => ({ ...expected, line: lineOf(c.code, at) })) };
}

const AMQP_HEAD = `import amqp from 'amqplib';
import { Pool } from 'pg';
import nodemailer from 'nodemailer';

const pool = new Pool();
const mailer = nodemailer.createTransport({ host: 'smtp.internal', port: 587 });
`;

const AMQP_AUTO = `${AMQP_HEAD}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbit');
  const channel = await connection.createChannel();
  await channel.consume(
    'orders',
    async (msg) => {
      if (!msg) return;
      const order = JSON.parse(msg.content.toString()) as { id: string; customerId: string; total: number };
      await pool.query('INSERT INTO order_lines (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
      await pool.query('UPDATE customers SET lifetime_value = lifetime_value + $1 WHERE id = $2', [order.total, order.customerId]);
    },
    { noAck: true },
  );
}
`;

const CONNECTION_MANAGER = `import amqp from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import nodemailer from 'nodemailer';

const mailer = nodemailer.createTransport({ host: 'smtp.internal' });
const connection = amqp.connect(['amqp://rabbit']);

export const channelWrapper = connection.createChannel({
  setup: (channel: Channel) =>
    channel.consume('reminders', async (msg) => {
      if (!msg) return;
      const reminder = JSON.parse(msg.content.toString()) as { email: string; text: string };
      await mailer.sendMail({ to: reminder.email, subject: 'Reminder', text: reminder.text });
    }, { noAck: true }),
});
`;

const SERVICE_BUS = `import { ServiceBusClient } from '@azure/service-bus';
import Stripe from 'stripe';

const stripe = new Stripe(process.env.STRIPE_KEY ?? '');
const sbClient = new ServiceBusClient(process.env.SERVICE_BUS_CONNECTION ?? '');
const receiver = sbClient.createReceiver('usage', { receiveMode: 'receiveAndDelete' });

receiver.subscribe({
  processMessage: async (message) => {
    const usage = message.body as { customerId: string; amountCents: number };
    await stripe.invoiceItems.create({ customer: usage.customerId, amount: usage.amountCents, currency: 'eur' });
  },
  processError: async (args) => {
    console.error(args.error);
  },
});
`;

const NEST_BOOTSTRAP = `import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule, {
    transport: Transport.RMQ,
    options: { urls: ['amqp://localhost:5672'], queue: 'orders' },
  });
  await app.listen();
}
void bootstrap();
`;

const NEST_MODULE = `import { Module } from '@nestjs/common';
import { OrdersController } from './consumer';

@Module({ controllers: [OrdersController] })
export class AppModule {}
`;

const NEST_CONTROLLER = `import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class OrdersController {
  @EventPattern('order_created')
  async onOrderCreated(@Payload() order: { id: string; total: number }): Promise<void> {
    await pool.query('INSERT INTO order_totals (order_id, total) VALUES ($1, $2)', [order.id, order.total]);
  }
}
`;

const HELPER = `import { Pool } from 'pg';
const pool = new Pool();

export async function recordClick(campaignId: string): Promise<void> {
  await pool.query('UPDATE campaigns SET clicks = clicks + 1 WHERE id = $1', [campaignId]);
}
`;

const AMQP_HELPER = `import amqp from 'amqplib';
import { recordClick } from './services/clicks';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('clicks', async (msg) => {
    if (!msg) return;
    await recordClick(JSON.parse(msg.content.toString()).campaignId);
  }, { noAck: true });
}
`;

const valid: RuleTestCase[] = [
  {
    name: 'amqplib noAck: true whose handler only logs and reads',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('metrics', async (msg) => {
    if (!msg) return;
    const { rows } = await pool.query('SELECT name FROM dashboards WHERE id = $1', [msg.properties.messageId]);
    console.log('metric for', rows[0]?.name, msg.content.toString());
  }, { noAck: true });
}
`,
  },
  {
    name: 'amqplib noAck: true with only idempotent writes (an upsert)',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('profiles', async (msg) => {
    if (!msg) return;
    const profile = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO profiles (user_id, name) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET name = EXCLUDED.name', [profile.userId, profile.name]);
  }, { noAck: true });
}
`,
  },
  {
    name: 'amqplib noAck: true, handler declared /** @delivery at-most-once */',
    code: AMQP_AUTO.replace('    async (msg) => {', '    /** @delivery at-most-once */\n    async (msg) => {'),
  },
  {
    name: 'amqplib noAck: true, queue declared at-most-once in config',
    config: { semantics: { orders: 'at-most-once' } },
    code: AMQP_AUTO,
  },
  {
    name: 'amqplib noAck: false with an ack after the work (manual ack)',
    code: AMQP_AUTO.replace('{ noAck: true }', '{ noAck: false }').replace(
      "      await pool.query('UPDATE customers",
      "      channel.ack(msg);\n      await pool.query('UPDATE customers",
    ),
  },
  {
    name: 'amqplib noAck: true: a publish to the dead-letter queue in a catch is failure routing, not a state change',
    code: `${AMQP_HEAD}
export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('events', async (msg) => {
    if (!msg) return;
    try {
      JSON.parse(msg.content.toString());
    } catch {
      channel.sendToQueue('events.dlq', msg.content);
    }
  }, { noAck: true });
}
`,
  },
  {
    name: 'kafkajs eachMessage (autoCommit acks after the handler): not auto-ack',
    code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
const pool = new Pool();
const consumer = new Kafka({ clientId: 'a', brokers: ['kafka:9092'] }).consumer({ groupId: 'g' });
export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await pool.query('UPDATE counters SET n = n + 1 WHERE id = $1', [message.key?.toString()]);
    },
  });
}
`,
  },
  {
    name: 'sqs-consumer: deleted after the handler resolves, not auto-ack',
    code: `import { Consumer } from 'sqs-consumer';
import nodemailer from 'nodemailer';
const mailer = nodemailer.createTransport({ host: 'smtp.internal' });
export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    await mailer.sendMail({ to: 'a@example.com', subject: 'Receipt', text: message.Body ?? '' });
    return message;
  },
});
`,
  },
  {
    name: 'Service Bus peekLock (the default) with auto-complete: acked after the handler',
    code: SERVICE_BUS.replace(", { receiveMode: 'receiveAndDelete' }", ''),
  },
];

const invalidCases: InvalidRuleTestCase[] = [
  invalid({
    name: 'amqplib noAck: true with an insert and a relative update',
    code: AMQP_AUTO,
    findings: [
      {
        at: 'await channel.consume(',
        messageId: 'ackedOnDelivery',
        data: [
          "amqplib consumer of queue 'orders'",
          'noAck: true',
          'INSERT INTO order_lines and UPDATE customers (relative)',
          'noAck: false',
        ],
        message: '@delivery at-most-once',
        related: 3,
        severity: 'warning',
      },
    ],
  }),
  invalid({
    name: 'amqp-connection-manager setup: channel.consume with noAck: true and an email',
    code: CONNECTION_MANAGER,
    findings: [{ at: "channel.consume('reminders'", messageId: 'ackedOnDelivery', data: 'sendMail (email)' }],
  }),
  invalid({
    name: "Service Bus receiveMode: 'receiveAndDelete' with a Stripe invoice item",
    code: SERVICE_BUS,
    findings: [
      {
        at: 'receiver.subscribe({',
        messageId: 'ackedOnDelivery',
        data: ["receiveMode: 'receiveAndDelete'", 'Stripe invoiceItems.create', 'peekLock'],
        related: 2,
      },
    ],
  }),
  invalid({
    name: 'NestJS RMQ with the default noAck (the bootstrap does not set noAck: false)',
    code: NEST_CONTROLLER,
    files: { 'main.ts': NEST_BOOTSTRAP, 'app.module.ts': NEST_MODULE },
    findings: [
      {
        at: "@EventPattern('order_created')",
        messageId: 'ackedOnDelivery',
        data: ['Nest consumes the RMQ queue with `noAck: true`', 'INSERT INTO order_totals', 'noAck: false'],
      },
    ],
  }),
  invalid({
    name: 'NestJS TCP transport, @EventPattern: no acks, never redelivered',
    code: NEST_CONTROLLER,
    files: {
      'main.ts': NEST_BOOTSTRAP.replace(
        "transport: Transport.RMQ,\n    options: { urls: ['amqp://localhost:5672'], queue: 'orders' },",
        'transport: Transport.TCP,',
      ),
      'app.module.ts': NEST_MODULE,
    },
    findings: [
      {
        at: "@EventPattern('order_created')",
        messageId: 'ackedOnDelivery',
        data: ['the TCP transport has no acks and never redelivers', 'acks after the processing'],
      },
    ],
  }),
  invalid({
    name: 'NestJS TCP @MessagePattern (request/reply) is not exempt: a lost request is a silent hang for the caller',
    code: NEST_CONTROLLER.replace(
      "import { EventPattern, Payload } from '@nestjs/microservices';",
      "import { MessagePattern, Payload } from '@nestjs/microservices';",
    ).replace("@EventPattern('order_created')", "@MessagePattern({ cmd: 'create_order' })"),
    files: {
      'main.ts': NEST_BOOTSTRAP.replace(
        "transport: Transport.RMQ,\n    options: { urls: ['amqp://localhost:5672'], queue: 'orders' },",
        'transport: Transport.TCP,',
      ),
      'app.module.ts': NEST_MODULE,
    },
    findings: [
      {
        at: "@MessagePattern({ cmd: 'create_order' })",
        messageId: 'ackedOnDelivery',
        data: ['the TCP transport has no acks and never redelivers', 'INSERT INTO order_totals'],
      },
    ],
  }),
  invalid({
    name: 'amqplib noAck: true, the relative update in a helper file: related follows the call chain',
    code: AMQP_HELPER,
    files: { 'services/clicks.ts': HELPER },
    findings: [
      {
        at: 'await channel.consume(',
        messageId: 'ackedOnDelivery',
        data: 'UPDATE campaigns (relative) (via recordClick())',
        related: 3,
      },
    ],
  }),
];

ruleTester(RULE, { valid, invalid: invalidCases });
