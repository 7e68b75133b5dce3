/**
 * swallowed-failure-ack (docs/rules/swallowed-failure-ack.md; docs/model.md, "Failure routing and
 * handing failures on", "Settles"): a catch around the processing hands the failure on to nothing and
 * the message is then settled as if it had succeeded (reported on the ack), or the library settles
 * it because the handler returns normally (reported on the catch, or on the call into the helper
 * holding it); an ack in a finally a failure reaches; a settle that drops with no dead-letter route.
 *
 * Cases across amqplib, kafkajs (eachMessage, eachBatch), sqs-consumer, BullMQ, Service Bus,
 * Pub/Sub, NestJS (RMQ, Kafka), Lambda SQS, SQS receive loops, JetStream and Redis streams; every
 * case runs typed and untyped.
 */
import { type ExpectedFinding, type InvalidRuleTestCase, type RuleTestCase, ruleTester } from '../helpers/rule-tester';
import { lineOf } from '../helpers/lines';

const RULE = 'swallowed-failure-ack';

/** An invalid case with one finding, on the line holding `marker`. */
function invalid(
  name: string,
  code: string,
  marker: string,
  expected: Expected,
  extra: Partial<InvalidRuleTestCase> = {},
): InvalidRuleTestCase {
  return { name, code, errors: [{ line: lineOf(code, marker), ...expected, severity: 'error', related: 2 }], ...extra };
}

/** What the finding of a case says: its message id and the data it names. */
type Expected = Pick<ExpectedFinding, 'messageId' | 'data' | 'message'>;

/** A Lambda's clients and a best-effort audit helper whose catch only logs. */
const AUDITED_LAMBDA = `import type { SQSEvent } from 'aws-lambda';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';

const sqs = new SQSClient({});
const pool = new Pool();

async function audit(step: string, id: string): Promise<void> {
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: process.env.AUDIT_QUEUE_URL, MessageBody: JSON.stringify({ step, id }) }));
  } catch (error) {
    console.warn('audit event not sent', error);
  }
}
`;

const LOGGER = `export const logger = {
  info: (message: string, fields: Record<string, unknown> = {}) => console.info(JSON.stringify({ message, ...fields })),
  error: (message: string, fields: Record<string, unknown> = {}) => console.error(JSON.stringify({ message, ...fields })),
};
`;

const SQS_CONSUMER_11 = JSON.stringify(
  { name: 'receipts', private: true, dependencies: { 'sqs-consumer': '^11.0.0' } },
  null,
  2,
);
const SQS_CONSUMER_14 = JSON.stringify(
  { name: 'receipts', private: true, dependencies: { 'sqs-consumer': '^14.2.8' } },
  null,
  2,
);

// `.catch(cb)` on the promise of the whole processing catches its failures as a try around it would.
const A_PROMISE_CATCH_THEN_ACK = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function recordOrder(id: string): Promise<void> {
  await pool.query('INSERT INTO orders (id) VALUES ($1)', [id]);
}

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    await recordOrder(msg.properties.messageId).catch((err) => console.error('order failed', err));
    channel.ack(msg);
  });
}
`;

// A wrapper that runs the handler it is given, logs a failure and acks in any case.
const A_WRAPPER_CATCH_FINALLY_ACK = `import amqp, { type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function subscribe(queue: string, fn: (msg: ConsumeMessage) => Promise<void>): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume(queue, (msg) => {
    if (!msg) return;
    fn(msg)
      .catch((error) => console.error(\`\${queue} failed\`, error))
      .finally(() => channel.ack(msg));
  });
}

export function start(): Promise<void> {
  return subscribe('orders.placed', async (msg) => {
    await pool.query('INSERT INTO orders (id) VALUES ($1)', [msg.properties.messageId]);
  });
}
`;

const K_PROMISE_CATCH_RETURNS = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });

async function post(entry: string): Promise<void> {
  await pool.query('INSERT INTO ledger (entry) VALUES ($1)', [entry]);
}

export async function start(): Promise<void> {
  await consumer.subscribe({ topic: 'payments' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      await post(String(message.value)).catch((err) => console.warn('ledger post failed', err));
    },
  });
}
`;

const NEST_RMQ_MAIN = `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

export async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, {
    transport: Transport.RMQ,
    options: { urls: ['amqp://rabbitmq'], queue: 'shipments', noAck: false },
  });
  await app.listen();
}
`;

/** NestJS RMQ manual ack: the catch nacks without requeue (the queue's dead-letter exchange decides). */
const NEST_RMQ_NACK_DROP = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.dispatched')
  async onDispatched(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    const message = context.getMessage();
    try {
      await pool.query('INSERT INTO dispatches (shipment_id) VALUES ($1)', [data.id]);
      channel.ack(message);
    } catch (err) {
      console.error('dispatch failed', err);
      channel.nack(message, false, false);
    }
  }
}
`;

/** A bootstrap whose queue is asserted with a dead-letter exchange (its own queue: the cases share a program). */
const NEST_RMQ_MAIN_DLX = NEST_RMQ_MAIN.replace(
  "queue: 'shipments', noAck: false }",
  "queue: 'returns', noAck: false, queueOptions: { durable: true, arguments: { 'x-dead-letter-exchange': 'returns.dlx' } } }",
);

const NEST_KAFKA_MAIN = `import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { AppModule } from './app.module';

export async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice(AppModule, {
    transport: Transport.KAFKA,
    options: { client: { brokers: ['kafka:9092'] }, consumer: { groupId: 'billing' } },
  });
  await app.listen();
}
`;

const APP_MODULE = `export class AppModule {}
`;

// ============================================================================================
// amqplib
// ============================================================================================

/** A helper catches the failure and returns a flag; the caller settles on it. */
const A_HELPER_RETURNS_FLAG = `import amqp, { type ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';
import { logger } from './logger';

const pool = new Pool();

async function saveOrder(msg: ConsumeMessage): Promise<boolean> {
  try {
    const order = JSON.parse(msg.content.toString()) as { id: string; totalCents: number };
    await pool.query('INSERT INTO orders (id, total_cents) VALUES ($1, $2)', [order.id, order.totalCents]);
    return true;
  } catch (err) {
    logger.error('order insert failed', { err });
    return false;
  }
}

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    const saved = await saveOrder(msg);
    if (saved) {
      channel.ack(msg);
    } else {
      channel.nack(msg, false, true);
    }
  });
}
`;

const SQS_LOOP_FLAG = `import { SQSClient, ReceiveMessageCommand, DeleteMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';
import { logger } from './logger';

const sqs = new SQSClient({});
const pool = new Pool();
const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/payments';

async function record(message: Message): Promise<boolean> {
  try {
    const payment = JSON.parse(message.Body ?? '{}') as { id: string };
    await pool.query('INSERT INTO payments (id) VALUES ($1)', [payment.id]);
    return true;
  } catch (err) {
    logger.error('payment failed', { err });
    return false;
  }
}

export async function poll(): Promise<void> {
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 5 }));
    for (const message of Messages ?? []) {
      const done = await record(message);
      if (done) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      } else {
        logger.error('keeping the message for a retry', { id: message.MessageId });
      }
    }
  }
}
`;

/**
 * A helper whose catch leaves the response undefined (assigned only when the POST succeeds) and
 * returns it; the caller deletes only when the response is there and ok (docs/model.md, "Failure
 * routing and handing failures on"). `settle` is the caller's code after the call.
 */
const sqsWebhookLoop = (
  settle: string,
  fallback = '',
): string => `import { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { logger } from './logger';

const sqs = new SQSClient({});
const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/webhooks';

async function deliverWebhook(target: string, payload: unknown) {
  let response;
  try {
    response = await fetch(target, { method: 'POST', body: JSON.stringify(payload) });
  } catch (err) {
    logger.error('webhook delivery failed', { err, target });${fallback}
  }
  return response;
}

export async function poll(): Promise<void> {
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 5 }));
    for (const message of Messages ?? []) {
      const job = JSON.parse(message.Body ?? '{}') as { target: string; payload: unknown };
      const response = await deliverWebhook(job.target, job.payload);
${settle}
    }
  }
}
`;

const DELETE_WHEN_OK = `      if (response?.ok) {
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      } else {
        logger.error('webhook not delivered, kept for a retry', { status: response?.status });
      }`;

/** A success flag set in the try, after the work: the catch's path leaves it false. */
const SQS_CONSUMER_SUCCESS_FLAG = (afterCatch: string): string => `import { Consumer } from 'sqs-consumer';
import { SQSClient, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';

const sqs = new SQSClient({});
const pool = new Pool();
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ledger';

export const ledger = Consumer.create({
  queueUrl: QUEUE_URL,
  shouldDeleteMessages: false,
  handleMessage: async (message) => {
    let recorded = false;
    try {
      await pool.query('INSERT INTO ledger_entries (raw) VALUES ($1)', [message.Body]);
      recorded = true;
    } catch (err) {
      console.error('ledger entry failed', err);
    }
${afterCatch}
  },
});
`;

const A_CATCH_LOGS_THEN_ACK = `import amqp from 'amqplib';
import { Pool } from 'pg';
import { logger } from './logger';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { id: string; totalCents: number };
    try {
      await pool.query('INSERT INTO orders (id, total_cents) VALUES ($1, $2)', [order.id, order.totalCents]);
    } catch (err) {
      logger.error('order insert failed', { err, orderId: order.id });
    }
    channel.ack(msg);
  });
}
`;

const A_FINALLY_ACK_WITH_CATCH = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      const order = JSON.parse(msg.content.toString()) as { id: string };
      await pool.query('INSERT INTO orders (id) VALUES ($1)', [order.id]);
    } catch (err) {
      console.error('insert failed', err);
    } finally {
      channel.ack(msg);
    }
  });
}
`;

const A_FINALLY_ACK_NO_CATCH = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      const order = JSON.parse(msg.content.toString()) as { id: string };
      await pool.query('INSERT INTO orders (id) VALUES ($1)', [order.id]);
    } finally {
      channel.ack(msg);
    }
  });
}
`;

const A_RETHROW_THEN_FINALLY_ACK = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1)', [msg.properties.messageId]);
    } catch (err) {
      console.error('insert failed, rethrowing', err);
      throw err;
    } finally {
      channel.ack(msg);
    }
  });
}
`;

const A_NACK_DROP_NO_DLX = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startRefunds(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.assertQueue('payouts', { durable: true });
  await channel.consume('payouts', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('UPDATE payments SET refunded = true WHERE id = $1', [msg.properties.messageId]);
      channel.ack(msg);
    } catch (err) {
      console.error('payout failed', err);
      channel.nack(msg, false, false);
    }
  });
}
`;

const A_REJECT_DROP_NO_DLX = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startRefunds(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.assertQueue('chargebacks', { durable: true });
  await channel.consume('chargebacks', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('UPDATE payments SET refunded = true WHERE id = $1', [msg.properties.messageId]);
      channel.ack(msg);
    } catch (err) {
      console.error('refund failed', err);
      channel.reject(msg, false);
    }
  });
}
`;

const A_ACK_IN_CATCH_NON_FAILURE_PUBLISH = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1)', [msg.properties.messageId]);
      channel.ack(msg);
    } catch (err) {
      channel.publish('events', 'orders.audit', msg.content, { messageId: msg.properties.messageId });
      channel.ack(msg);
    }
  });
}
`;

const A_WRAPPER = `import type { Channel, ConsumeMessage } from 'amqplib';

/** Registers a handler; every message is acked once the handler has run. */
export async function subscribe(channel: Channel, queue: string, handler: (payload: unknown) => Promise<void>): Promise<void> {
  await channel.consume(queue, async (msg: ConsumeMessage | null) => {
    if (!msg) return;
    try {
      await handler(JSON.parse(msg.content.toString()));
    } catch (err) {
      console.error('handler failed', queue, err);
    }
    channel.ack(msg);
  });
}
`;

const A_WRAPPER_CALLERS = `import amqp from 'amqplib';
import { Pool } from 'pg';
import { subscribe } from './subscribe';

const pool = new Pool();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await subscribe(channel, 'orders.placed', async (payload) => {
    await pool.query('INSERT INTO orders (payload) VALUES ($1)', [JSON.stringify(payload)]);
  });
  await subscribe(channel, 'orders.cancelled', async (payload) => {
    await pool.query('INSERT INTO cancellations (payload) VALUES ($1)', [JSON.stringify(payload)]);
  });
}
`;

// ============================================================================================
// kafkajs
// ============================================================================================

const K_CATCH_LOGS = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { logger } from './logger';

const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });
const pool = new Pool();

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const payment = JSON.parse(message.value!.toString()) as { id: string; cents: number };
      try {
        await pool.query('INSERT INTO ledger (payment_id, cents) VALUES ($1, $2)', [payment.id, payment.cents]);
      } catch (err) {
        logger.error('ledger write failed', { err });
      }
    },
  });
}
`;

const K_HELPER_SERVICE = `import { Pool } from 'pg';
import { logger } from './logger';

const pool = new Pool();

export async function recordPayment(payment: { id: string; cents: number }): Promise<void> {
  try {
    await pool.query('INSERT INTO ledger (payment_id, cents) VALUES ($1, $2)', [payment.id, payment.cents]);
  } catch (err) {
    logger.error('ledger write failed', { err });
  }
}
`;

const K_CATCH_IN_HELPER = `import { Kafka } from 'kafkajs';
import { recordPayment } from './ledger';

const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const payment = JSON.parse(message.value!.toString()) as { id: string; cents: number };
      await recordPayment(payment);
    },
  });
}
`;

const K_EACH_BATCH = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const consumer = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] }).consumer({ groupId: 'ledger' });
const pool = new Pool();

export async function run(): Promise<void> {
  await consumer.subscribe({ topic: 'payments.captured' });
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (const message of batch.messages) {
        try {
          await pool.query('INSERT INTO ledger (raw) VALUES ($1)', [message.value!.toString()]);
        } catch (err) {
          console.error('skipping failed message', message.offset, err);
        }
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
}
`;

// ============================================================================================
// other libraries
// ============================================================================================

const SQS_CONSUMER_CATCH = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    try {
      await pool.query('INSERT INTO receipts (body) VALUES ($1)', [message.Body]);
    } catch (err) {
      console.error('receipt failed', err);
    }
  },
});
`;

const SQS_CONSUMER_14_CATCH_RETURNS_MESSAGE = `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/receipts',
  handleMessage: async (message) => {
    try {
      await pool.query('INSERT INTO receipts (body) VALUES ($1)', [message.Body]);
    } catch (err) {
      console.error('receipt failed', err);
    }
    return message;
  },
});
`;

const BULLMQ_CATCH = `import { Worker, type Job } from 'bullmq';
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });

export const worker = new Worker(
  'welcome-emails',
  async (job: Job<{ email: string }>) => {
    try {
      await transporter.sendMail({ to: job.data.email, subject: 'Welcome', text: 'Hello' });
    } catch (err) {
      console.warn('welcome email failed', job.id, err);
    }
  },
  { connection: { host: 'redis' } },
);
`;

/** A helper whose catch only warns: a best-effort send of one e-mail. */
function bullmqHelperCalled(perRecipient: boolean): string {
  const call = perRecipient
    ? `    for (const email of job.data.emails) {
      await sendMention(email);
    }`
    : `    await sendMention(job.data.emails[0]);`;
  return `import { Worker, type Job } from 'bullmq';
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'smtp.example.com' });

async function sendMention(email: string): Promise<void> {
  try {
    await transporter.sendMail({ to: email, subject: 'You were mentioned', text: 'Hello' });
  } catch (err) {
    console.warn('mention email failed', email, err);
  }
}

export const worker = new Worker(
  'mentions',
  async (job: Job<{ emails: string[] }>) => {
${call}
  },
  { connection: { host: 'redis' } },
);
`;
}

const SERVICE_BUS_AUTO = `import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('invoices');

receiver.subscribe({
  processMessage: async (message: ServiceBusReceivedMessage) => {
    try {
      await pool.query('INSERT INTO invoices (id) VALUES ($1)', [message.messageId]);
    } catch (err) {
      console.error('invoice failed', err);
    }
  },
  processError: async (args) => console.error(args.error),
});
`;

const SERVICE_BUS_MANUAL = `import { ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient(process.env.SB ?? '').createReceiver('invoices');

receiver.subscribe(
  {
    processMessage: async (message: ServiceBusReceivedMessage) => {
      try {
        await pool.query('INSERT INTO invoices (id) VALUES ($1)', [message.messageId]);
      } catch (err) {
        console.error('invoice failed', err);
      }
      await receiver.completeMessage(message);
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`;

const PUBSUB_CATCH_THEN_ACK = `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();
const subscription = new PubSub().subscription('orders-billing');

subscription.on('message', async (message: Message) => {
  try {
    await pool.query('INSERT INTO bills (order_id) VALUES ($1)', [message.attributes.orderId]);
  } catch (err) {
    console.error('billing failed', err);
  }
  message.ack();
});
`;

const NEST_RMQ_CATCH_THEN_ACK = `import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class ShipmentsController {
  @EventPattern('shipment.created')
  async onShipment(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef();
    try {
      await pool.query('INSERT INTO shipments (id) VALUES ($1)', [data.id]);
    } catch (err) {
      console.error('shipment failed', err);
    }
    channel.ack(context.getMessage());
  }
}
`;

const NEST_KAFKA_CATCH = `import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class BillingController {
  @EventPattern('invoice.paid')
  async onInvoicePaid(@Payload() data: { id: string }): Promise<void> {
    try {
      await pool.query('INSERT INTO paid_invoices (id) VALUES ($1)', [data.id]);
    } catch (err) {
      console.error('could not record payment', err);
    }
  }
}
`;

const NEST_KAFKA_MESSAGE_PATTERN_REPLY = `import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class BillingController {
  @MessagePattern('invoice.create')
  async createInvoice(@Payload() data: { id: string }): Promise<{ ok: boolean; error?: string }> {
    try {
      await pool.query('INSERT INTO invoices (id) VALUES ($1)', [data.id]);
      return { ok: true };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }
}
`;

const LAMBDA_CATCH = `import type { SQSEvent } from 'aws-lambda';
import { Pool } from 'pg';

const pool = new Pool();

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    try {
      await pool.query('INSERT INTO signups (body) VALUES ($1)', [record.body]);
    } catch (err) {
      console.error('signup failed', record.messageId, err);
    }
  }
};
`;

const LAMBDA_BATCH_ITEM_FAILURES = `import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Pool } from 'pg';

const pool = new Pool();

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      await pool.query('INSERT INTO signups (body) VALUES ($1)', [record.body]);
    } catch (err) {
      console.error('signup failed', record.messageId, err);
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
`;

// Each record's mail is sent under Promise.allSettled and the results are never read: a failure
// that escapes sendReceipt is dropped there, and the batch is deleted with it.
const LAMBDA_ALL_SETTLED = `import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';

const ses = new SESv2Client({});

async function sendReceipt(record: SQSRecord): Promise<void> {
  const order = JSON.parse(record.body) as { email: string; total: number };
  await ses.send(
    new SendEmailCommand({
      Destination: { ToAddresses: [order.email] },
      Content: { Simple: { Subject: { Data: 'Receipt' }, Body: { Text: { Data: String(order.total) } } } },
    }),
  );
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  await Promise.allSettled(event.Records.map((record) => sendReceipt(record)));
  return { batchItemFailures };
};
`;

const SQS_LOOP_CATCH_THEN_DELETE = `import { SQSClient, ReceiveMessageCommand, DeleteMessageCommand } from '@aws-sdk/client-sqs';
import { Pool } from 'pg';

const sqs = new SQSClient({});
const pool = new Pool();
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-placed';

export async function poll(): Promise<void> {
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10 }));
    for (const m of Messages ?? []) {
      try {
        await pool.query('INSERT INTO orders (body) VALUES ($1)', [m.Body]);
      } catch (err) {
        console.error('order failed', m.MessageId, err);
      }
      await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: m.ReceiptHandle }));
    }
  }
}
`;

const NATS_TERM = `import { connect } from 'nats';
import { Pool } from 'pg';

const pool = new Pool();

export async function runBilling(): Promise<void> {
  const nc = await connect({ servers: 'nats://nats:4222' });
  const c = await nc.jetstream().consumers.get('ORDERS', 'billing');
  for await (const m of await c.consume()) {
    try {
      await pool.query('INSERT INTO bills (seq) VALUES ($1)', [m.seq]);
      m.ack();
    } catch (err) {
      console.error('billing failed', err);
      m.term();
    }
  }
}
`;

const NATS_NAK = NATS_TERM.replace('m.term();', 'm.nak(5_000);');

const REDIS_STREAM_CATCH_THEN_XACK = `import Redis from 'ioredis';
import { Pool } from 'pg';

const redis = new Redis();
const pool = new Pool();
type Reply = [stream: string, entries: [id: string, fields: string[]][]][];

export async function consumeOrders(): Promise<void> {
  for (;;) {
    const res = (await redis.xreadgroup('GROUP', 'billing', 'worker-1', 'COUNT', 10, 'STREAMS', 'orders', '>')) as Reply | null;
    if (!res) continue;
    for (const [stream, entries] of res) {
      for (const [id, fields] of entries) {
        try {
          await pool.query('INSERT INTO bills (entry) VALUES ($1)', [fields.join(',')]);
        } catch (err) {
          console.error('bill failed', id, err);
        }
        await redis.xack(stream, 'billing', id);
      }
    }
  }
}
`;

// ============================================================================================
// Failure shapes of real handlers (issue 8): what hands a failure on, what is a deliberate drop
// ============================================================================================

const A_RETURNED_PAST_CATCH = `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function saveOrder(order: { id: string }): Promise<unknown> {
  try {
    return pool.query('INSERT INTO orders (id) VALUES ($1)', [order.id]);
  } catch (err) {
    console.error('save failed', err);
  }
}

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await saveOrder(JSON.parse(msg.content.toString()) as { id: string });
      channel.ack(msg);
    } catch (err) {
      console.error('order failed, requeueing', err);
      channel.nack(msg);
    }
  });
}
`;

const SHAPES_VALID: RuleTestCase[] = [
  {
    name: 'NestJS RMQ (noAck: false) @MessagePattern: the catch acks and throws the error to the caller',
    files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE },
    code: `import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, RmqContext, RpcException } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class RoomsController {
  @MessagePattern({ cmd: 'room.post' })
  async postToRoom(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<{ id: string }> {
    const channel = context.getChannelRef();
    const request = context.getMessage();
    try {
      await pool.query('INSERT INTO room_posts (id) VALUES ($1)', [data.id]);
      channel.ack(request);
      return { id: data.id };
    } catch (error) {
      console.error('posting failed', error);
      channel.ack(request);
      throw new RpcException(String(error));
    }
  }
}
`,
  },
  {
    name: 'Pub/Sub: the catch acks only one class of permanent failure and nacks every other',
    code: `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

class ClipDeletedError extends Error {}
const pool = new Pool();

async function renderClip(id: string): Promise<void> {
  const { rowCount } = await pool.query('UPDATE clips SET rendered = true WHERE id = $1', [id]);
  if (!rowCount) throw new ClipDeletedError(id);
}

new PubSub().subscription('clips-render').on('message', async (message: Message) => {
  try {
    await renderClip(message.attributes.clipId);
    message.ack();
  } catch (err) {
    if (err instanceof ClipDeletedError) {
      console.warn('clip deleted meanwhile, dropping', err);
      message.ack();
      return;
    }
    console.error('render failed', err);
    message.nack();
  }
});
`,
  },
  {
    name: 'Lambda SQS: the catch rethrows every failure but the expected duplicate-key error',
    code: `import type { SQSEvent } from 'aws-lambda';
import { Pool } from 'pg';

const pool = new Pool();

export const handler = async (event: SQSEvent): Promise<void> => {
  await Promise.all(
    event.Records.map(async (record) => {
      try {
        await pool.query('INSERT INTO signups (id, body) VALUES ($1, $2)', [record.messageId, record.body]);
      } catch (error) {
        if ((error as { code?: string }).code === '23505') {
          console.info('signup already recorded', record.messageId);
        } else {
          throw error;
        }
      }
    }),
  );
};
`,
  },
  {
    name: 'BullMQ: the catch returns for an expected error code and rethrows the rest (negated test)',
    code: `import { Worker, type Job } from 'bullmq';
import { Pool } from 'pg';

const pool = new Pool();

export const worker = new Worker('ledger-entries', async (job: Job<{ id: string; cents: number }>) => {
  try {
    await pool.query('INSERT INTO ledger (id, cents) VALUES ($1, $2)', [job.data.id, job.data.cents]);
  } catch (err) {
    if ((err as { code?: string }).code !== 'P2002') throw err;
    console.info('entry exists', job.id);
  }
});
`,
  },
  {
    name: 'Lambda SQS: the catch asks a helper whether the failure is retried and reports it in batchItemFailures',
    code: `import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Pool } from 'pg';

class ValidationError extends Error {}
const pool = new Pool();

function retryIdentifier(error: unknown, record: SQSRecord): string | undefined {
  if (error instanceof ValidationError) {
    console.warn('invalid, not retried', error.message);
    return undefined;
  }
  return record.messageId;
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      await pool.query('INSERT INTO audits (body) VALUES ($1)', [record.body]);
    } catch (error) {
      const itemIdentifier = retryIdentifier(error, record);
      if (itemIdentifier) failures.push({ itemIdentifier });
    }
  }
  return { batchItemFailures: failures };
};
`,
  },
  {
    name: 'kafkajs: the work runs in a task the handler does not await; its catch runs after the offset is committed',
    code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ brokers: ['kafka:9092'] }).consumer({ groupId: 'rotor' });
const tasks: Promise<void>[] = [];

async function deliver(raw: string): Promise<void> {
  try {
    await pool.query('INSERT INTO deliveries (raw) VALUES ($1)', [raw]);
  } catch (err) {
    console.error('delivery failed', err);
  }
}

export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      tasks.push(deliver(message.value!.toString()));
    },
  });
}
`,
  },
  {
    name: 'Lambda SQS: a best-effort audit helper is called twice; its catch is followed by more processing',
    code: `${AUDITED_LAMBDA}
export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    await audit('received', record.messageId);
    await pool.query('INSERT INTO interventions (id, body) VALUES ($1, $2) ON CONFLICT DO NOTHING', [record.messageId, record.body]);
    await audit('applied', record.messageId);
  }
};
`,
  },
  {
    // On the path where the update has nothing to write, the audit is the only work left; it is
    // still the step after the processing, as it is on every other path through that call.
    name: 'Lambda SQS: a best-effort audit after an update whose helper returns early when there is nothing to change',
    code: `${AUDITED_LAMBDA}
async function updateAccount(id: string, changes: Record<string, string>): Promise<void> {
  const columns = Object.keys(changes);
  if (columns.length === 0) return;
  const assignments = columns.map((column, index) => column + ' = $' + (index + 2)).join(', ');
  await pool.query('UPDATE accounts SET ' + assignments + ' WHERE id = $1', [id, ...Object.values(changes)]);
}

export const handler = async (event: SQSEvent): Promise<void> => {
  for (const record of event.Records) {
    const body = JSON.parse(record.body);
    await updateAccount(body.accountId, body.changes);
    await audit('applied', record.messageId);
  }
};
`,
  },
  {
    name: 'amqplib: a helper returns the insert promise without await from its try; the rejection reaches the nacking catch',
    code: A_RETURNED_PAST_CATCH,
  },
];

const A_SYNC_PUBLISH_RETURNED = `import amqp, { type Channel } from 'amqplib';

function forward(channel: Channel, order: { id: string }): boolean | undefined {
  try {
    return channel.publish('orders', 'order.saved', Buffer.from(order.id));
  } catch (err) {
    console.error('forward failed', err);
  }
}

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      forward(channel, JSON.parse(msg.content.toString()) as { id: string });
      channel.ack(msg);
    } catch (err) {
      console.error('order failed, requeueing', err);
      channel.nack(msg);
    }
  });
}
`;

const SWALLOWS_ALL_BUT_ONE = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

class TimeoutError extends Error {}
const pool = new Pool();
const consumer = new Kafka({ brokers: ['kafka:9092'] }).consumer({ groupId: 'payments' });

export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      try {
        await pool.query('INSERT INTO payments (raw) VALUES ($1)', [message.value!.toString()]);
      } catch (err) {
        if (err instanceof TimeoutError) throw err;
        console.error('payment failed', err);
      }
    },
  });
}
`;

const PUBSUB_DETACHED_CHAIN_ACKS = `import { PubSub, type Message } from '@google-cloud/pubsub';
import { Pool } from 'pg';

const pool = new Pool();

async function record(message: Message): Promise<void> {
  try {
    await pool.query('INSERT INTO invoices (raw) VALUES ($1)', [message.data.toString()]);
  } catch (err) {
    console.error('invoice failed', err);
  }
  message.ack();
}

new PubSub().subscription('invoices').on('message', (message: Message) => {
  void record(message);
});
`;

const SHAPES_INVALID: InvalidRuleTestCase[] = [
  invalid(
    'amqplib: the helper awaits the insert it returns, so its catch swallows the failure and the handler acks',
    A_RETURNED_PAST_CATCH.replace('return pool.query(', 'return await pool.query('),
    'channel.ack(msg);',
    { messageId: 'ackAfterCaughtFailure' },
  ),
  invalid(
    'amqplib: a synchronous publish returned from a try throws at the return, into the catch that logs it; the handler acks',
    A_SYNC_PUBLISH_RETURNED,
    'channel.ack(msg);',
    { messageId: 'ackAfterCaughtFailure' },
  ),
  invalid(
    'Pub/Sub: a chain the handler does not await catches the failure, then acks in the same chain',
    PUBSUB_DETACHED_CHAIN_ACKS,
    // The callback only hands the message to record(): it stands for it, findings go in it
    // (docs/model.md, "Wrappers, dispatch tables and where findings go").
    'message.ack();',
    { messageId: 'ackAfterCaughtFailure' },
  ),
  invalid(
    'kafkajs: the catch rethrows one class of failure and swallows every other',
    SWALLOWS_ALL_BUT_ONE,
    '} catch (err) {',
    { messageId: 'returnAfterCaughtFailure' },
  ),
];

/**
 * An amqplib consumer whose catch runs `catchBody`, beside a dead-letter helper that skips its
 * publish while its channel is not open (`deadLetters.send(content, reason)`).
 */
const A_DEAD_LETTER_HELPER = (catchBody: string): string => `import amqp, { type Channel } from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

class DeadLetters {
  private channel: Channel | undefined;

  async open(connection: amqp.Connection): Promise<void> {
    this.channel = await connection.createChannel();
  }

  async send(content: Buffer, reason: string): Promise<void> {
    if (!this.channel) {
      console.warn('dead-letter channel not open, dropping', reason);
      return;
    }
    this.channel.sendToQueue('orders.placed.dlq', content, { headers: { reason } });
  }
}

const deadLetters = new DeadLetters();

export async function startOrders(): Promise<void> {
  const connection = await amqp.connect('amqp://rabbitmq');
  await deadLetters.open(connection);
  const channel = await connection.createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1)', [msg.properties.messageId]);
    } catch (err) {
${catchBody}
    }
    channel.ack(msg);
  });
}
`;

/**
 * A kafkajs wrapper that retries the handler in a `while (true)` loop until it succeeds (an
 * endless loop is left by its `break` only), and a handler whose helper runs `record`.
 */
const K_RETRY_LOOP_WRAPPER = (record: string): string => `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const kafka = new Kafka({ clientId: 'mailer', brokers: ['kafka:9092'] });

type Handler = (event: { id: string; to: string }) => Promise<void>;

export async function consume(topic: string, handle: Handler): Promise<void> {
  const consumer = kafka.consumer({ groupId: \`\${topic}-mailer\` });
  await consumer.connect();
  await consumer.subscribe({ topic });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value?.toString() ?? '{}');
      let delay = 1000;
      while (true) {
        try {
          await handle(event);
          break;
        } catch (err) {
          console.error('retrying', err);
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, 30000);
        }
      }
    },
  });
}

async function recordDelivery(event: { id: string; to: string }): Promise<void> {
${record}
}

void consume('mail.sent', async (event) => {
  await recordDelivery(event);
});
`;

/** An amqplib consumer of `orders.placed` whose insert's catch runs `catchBody`, then acks after the try. */
const A_ORDERS_CATCH_THEN_ACK = (catchBody: string): string => `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1)', [msg.properties.messageId]);
    } catch (err) {
${catchBody}
    }
    channel.ack(msg);
  });
}
`;

ruleTester(RULE, {
  valid: [
    {
      // docs/model.md, "Order": an endless retry loop is left by its break, after the work succeeded.
      name: 'kafkajs: a wrapper retries the handler in while (true) until it succeeds; the failure is not swallowed',
      code: K_RETRY_LOOP_WRAPPER("  await pool.query('INSERT INTO deliveries (recipient) VALUES ($1)', [event.to]);"),
    },
    {
      name: 'BullMQ: the work runs in a queue helper whose catch rejects the promise the processor awaits',
      code: `import { Worker, type Job } from 'bullmq';
import { Pool } from 'pg';

const pool = new Pool();

class TaskQueue {
  push<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      void this.run(task, resolve, reject);
    });
  }

  private async run<T>(task: () => Promise<T>, resolve: (value: T) => void, reject: (reason: unknown) => void) {
    try {
      resolve(await task());
    } catch (error) {
      reject(error);
    }
  }
}

const queue = new TaskQueue();

export const indexer = new Worker('index-products', async (job: Job<{ productId: string; name: string }>) => {
  await queue.push(() =>
    pool.query('UPDATE search_index SET name = $1 WHERE product_id = $2', [job.data.name, job.data.productId]),
  );
});
`,
    },
    {
      name: 'BullMQ: a best-effort price write in a quote helper, then the computed snapshot cached: the work goes on',
      code: `import { Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import { Pool } from 'pg';

const snapshotCache = new Redis();
const pool = new Pool();

async function latestPrice(symbol: string): Promise<number> {
  const response = await fetch(\`https://quotes.example.com/\${symbol}\`);
  const price = Number(await response.text());
  try {
    await pool.query('UPDATE prices SET value = $1 WHERE symbol = $2', [price, symbol]);
  } catch {}
  return price;
}

export const snapshots = new Worker('snapshots', async (job: Job<{ userId: string; symbols: string[] }>) => {
  const prices = await Promise.all(job.data.symbols.map((symbol) => latestPrice(symbol)));
  const total = prices.reduce((sum, price) => sum + price, 0);
  await snapshotCache.set(\`snapshot:\${job.data.userId}\`, String(total), 'EX', 600);
});
`,
    },
    {
      // docs/rules/swallowed-failure-ack.md: a try around one item of a loop over items is best-effort;
      // so is the try of a helper called once per item of such a loop.
      name: 'BullMQ Worker: a helper whose catch only warns, called once per recipient in a loop',
      code: bullmqHelperCalled(true),
    },
    {
      name: 'amqplib: a helper catches and returns false, and the caller nacks on it',
      code: A_HELPER_RETURNS_FLAG,
      files: { 'logger.ts': LOGGER },
    },
    {
      name: 'amqplib: a helper catches and returns false; the caller requeues and returns before the ack',
      code: A_HELPER_RETURNS_FLAG.replace(
        / {4}if \(saved\) \{[\s\S]*?\n {4}\}\n/,
        '    if (!saved) {\n      channel.nack(msg, false, true);\n      return;\n    }\n    channel.ack(msg);\n',
      ),
      files: { 'logger.ts': LOGGER },
    },
    {
      name: 'amqplib: the helper result kept in a let never assigned again; the caller requeues on false',
      code: A_HELPER_RETURNS_FLAG.replace(
        '    const saved = await saveOrder(msg);',
        '    let saved = await saveOrder(msg);',
      ),
      files: { 'logger.ts': LOGGER },
    },
    {
      name: 'amqplib: the helper result assigned to a let declared before it; the caller requeues on false',
      code: A_HELPER_RETURNS_FLAG.replace(
        '    const saved = await saveOrder(msg);',
        '    let saved = false;\n    saved = await saveOrder(msg);',
      ),
      files: { 'logger.ts': LOGGER },
    },
    {
      // The caught failure's falsy result is shared by every path that reaches the helper's end
      // from it, however many ways the helper's own flags vary: it is kept when they are forgotten.
      name: 'redis-streams: a helper returns false from its catch; a later helper with many flagged paths runs before the test',
      code: `import Redis from 'ioredis';

interface Options {
  serializer?: (payload: unknown) => Promise<string[]>;
  maxLen?: number;
}

const redis = new Redis();

async function encode(payload: unknown): Promise<string[]> {
  const fields: string[] = [];
  for (const [key, value] of Object.entries(payload as Record<string, unknown>)) fields.push(key, JSON.stringify(value));
  return fields;
}

async function decode(fields: string[]): Promise<unknown> {
  let data: string | undefined;
  data = fields[fields.indexOf('data') + 1];
  if (!data) throw new Error('no data field');
  return JSON.parse(data);
}

async function trace(step: number, id: string): Promise<void> {
  let level: string | undefined;
  let sampled = false;
  let tag: string | undefined;
  if (id.endsWith(String(step))) level = 'debug';
  if (id.length > step) sampled = true;
  if (id.startsWith('x')) tag = 'replay';
  const configured = await redis.get(\`trace:\${step}\`);
  console.log(level ?? configured, sampled, tag, step, id);
}

export class Responder {
  constructor(private readonly options: Options) {}

  private async publishAll(responses: { stream: string; payload: unknown }[]): Promise<boolean> {
    try {
      await Promise.all(
        responses.map(async (response) => {
          let fields: string[];
          if (this.options.serializer) fields = await this.options.serializer(response.payload);
          else fields = await encode(response.payload);
          const args: (string | number)[] = [];
          if (this.options.maxLen) args.push('MAXLEN', '~', this.options.maxLen);
          await redis.xadd(response.stream, ...args, '*', ...fields);
        }),
      );
      return true;
    } catch (error) {
      console.error(error);
      return false;
    }
  }

  async respond(id: string, fields: string[]): Promise<void> {
    try {
      const responses = (await decode(fields)) as { stream: string; payload: unknown }[] | null;
      if (!responses) return;
      const published = await this.publishAll(responses);
      await trace(1, id);
      if (!published) throw new Error('could not publish the responses');
      await redis.xack('requests', 'workers', id);
    } catch (error) {
      console.error(error);
    }
  }

  async run(): Promise<void> {
    for (;;) {
      const streams = (await redis.xreadgroup('GROUP', 'workers', 'w1', 'COUNT', 10, 'STREAMS', 'requests', '>')) as [string, [string, string[]][]][] | null;
      if (!streams) continue;
      for (const [, entries] of streams) {
        for (const [id, fields] of entries) await this.respond(id, fields);
      }
    }
  }
}
`,
    },
    {
      name: 'SQS receive loop: a helper catches and returns false, and the loop deletes only when it returned true',
      code: SQS_LOOP_FLAG,
      files: { 'logger.ts': LOGGER },
    },
    {
      name: 'SQS receive loop: a helper catches and leaves the response undefined; the loop deletes only when response?.ok',
      code: sqsWebhookLoop(DELETE_WHEN_OK),
      files: { 'logger.ts': LOGGER },
    },
    {
      name: 'SQS receive loop: the same, the caller leaves on a missing response before deleting',
      code: sqsWebhookLoop(`      if (!response || !response.ok) continue;
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));`),
      files: { 'logger.ts': LOGGER },
    },
    {
      name: 'sqs-consumer (shouldDeleteMessages: false): a success flag set after the insert guards the delete',
      code: SQS_CONSUMER_SUCCESS_FLAG(`    if (recorded) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: message.ReceiptHandle }));
    }`),
    },
    // ---- amqplib ------------------------------------------------------------------------------
    {
      name: 'amqplib: the catch nacks with requeue and returns; the ack is on the success path only',
      code: A_ORDERS_CATCH_THEN_ACK(
        `      console.error('insert failed, requeueing', err);
      channel.nack(msg, false, true);
      return;`,
      ),
    },
    {
      name: 'amqplib: the catch publishes the message to a dead-letter queue, then acks (failure routing)',
      code: A_ORDERS_CATCH_THEN_ACK(
        `      channel.sendToQueue('orders.placed.dlq', msg.content, { messageId: msg.properties.messageId, headers: { error: String(err) } });`,
      ),
    },
    {
      name: 'amqplib: re-publishing to a retry exchange in the catch, then acking',
      code: A_ORDERS_CATCH_THEN_ACK(
        `      channel.publish('orders.retry', 'orders.placed', msg.content, { messageId: msg.properties.messageId });`,
      ),
    },
    {
      // docs/model.md, "Failure routing and handing failures on": every branch of the catch hands the
      // failure on; the helper skips its publish only while its channel is not open.
      name: 'amqplib: the catch hands the message to a dead-letter helper that returns early while it has no channel',
      code: A_DEAD_LETTER_HELPER('      await deadLetters.send(msg.content, String(err));'),
    },
    {
      // docs/model.md, "Failure routing and handing failures on": one more attempt counted in a header.
      name: 'amqplib: the catch re-publishes the message to its own queue with its attempt count plus one, then acks',
      code: A_ORDERS_CATCH_THEN_ACK(
        `      const attempts = Number(msg.properties.headers?.['x-attempts'] ?? 0);
      channel.sendToQueue('orders.placed', msg.content, { headers: { 'x-attempts': attempts + 1 } });`,
      ),
    },
    {
      name: 'amqplib: a catch around parsing alone drops a poison message on purpose (no processing enclosed)',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    let order: { id: string };
    try {
      order = JSON.parse(msg.content.toString());
    } catch (err) {
      console.error('malformed order, dropping', err);
      channel.ack(msg);
      return;
    }
    await pool.query('INSERT INTO orders (id) VALUES ($1)', [order.id]);
    channel.ack(msg);
  });
}
`,
    },
    {
      name: 'amqplib: a finally ack guarded by a success flag, nack otherwise',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    let ok = false;
    try {
      await pool.query('INSERT INTO orders (id) VALUES ($1)', [msg.properties.messageId]);
      ok = true;
    } catch (err) {
      console.error('insert failed', err);
    } finally {
      if (ok) channel.ack(msg);
      else channel.nack(msg, false, true);
    }
  });
}
`,
    },
    {
      name: 'amqplib: nack without requeue when the queue declares a dead-letter exchange (routed, not dropped)',
      code: A_NACK_DROP_NO_DLX.replace(/payouts/g, 'refunds').replace(
        "await channel.assertQueue('refunds', { durable: true });",
        "await channel.assertQueue('refunds', { durable: true, deadLetterExchange: 'refunds.dlx' });",
      ),
    },
    {
      name: "amqplib: reject(msg, false) when the queue's x-dead-letter-exchange argument is declared in another file",
      code: A_REJECT_DROP_NO_DLX.replace(/chargebacks/g, 'disputes'),
      files: {
        'topology.ts': `import type { Channel } from 'amqplib';

export async function declareTopology(channel: Channel): Promise<void> {
  await channel.assertExchange('refunds.dlx', 'fanout');
  await channel.assertQueue('disputes', { durable: true, arguments: { 'x-dead-letter-exchange': 'disputes.dlx' } });
}
`,
      },
    },
    {
      // Declared by another service (another language, a broker policy): the analysis cannot see
      // whether it has a dead-letter exchange, so it claims nothing.
      name: 'amqplib: reject(msg, false) on a queue the project never declares',
      code: A_REJECT_DROP_NO_DLX.replace(
        "  await channel.assertQueue('chargebacks', { durable: true });\n",
        '',
      ).replace(/chargebacks/g, 'appeals'),
    },
    {
      name: 'Lambda SQS: Promise.allSettled results read, each rejected record reported in batchItemFailures',
      code: LAMBDA_ALL_SETTLED.replace(
        '  await Promise.allSettled(event.Records.map((record) => sendReceipt(record)));\n',
        `  const results = await Promise.allSettled(event.Records.map((record) => sendReceipt(record)));
  results.forEach((result, index) => {
    if (result.status === 'rejected') batchItemFailures.push({ itemIdentifier: event.Records[index].messageId });
  });
`,
      ),
    },
    {
      name: 'Lambda SQS: Promise.allSettled over records whose helper reports its own failures',
      code: LAMBDA_ALL_SETTLED.replace(
        'async function sendReceipt(record: SQSRecord): Promise<void> {\n  const order',
        'async function sendReceipt(record: SQSRecord, failures: { itemIdentifier: string }[]): Promise<void> {\n  try {\n  const order',
      )
        .replace(
          '    }),\n  );\n}',
          '    }),\n  );\n  } catch (error) {\n    console.error(error);\n    failures.push({ itemIdentifier: record.messageId });\n  }\n}',
        )
        .replace('sendReceipt(record))', 'sendReceipt(record, batchItemFailures))'),
    },
    {
      name: 'amqplib: .then(ack).catch(nack): the failure is nacked for redelivery',
      code: A_PROMISE_CATCH_THEN_ACK.replace(
        "    await recordOrder(msg.properties.messageId).catch((err) => console.error('order failed', err));\n    channel.ack(msg);",
        '    await recordOrder(msg.properties.messageId)\n      .then(() => channel.ack(msg))\n      .catch(() => channel.nack(msg));',
      ),
    },
    {
      name: 'kafkajs: the .catch() result kept in a const is tested and thrown on: the failure is handed on',
      code: K_PROMISE_CATCH_RETURNS.replace(
        'async function post(entry: string): Promise<void> {\n  await pool.query(',
        'async function post(entry: string) {\n  return pool.query(',
      ).replace(
        "      await post(String(message.value)).catch((err) => console.warn('ledger post failed', err));",
        "      const posted = await post(String(message.value)).catch((err) => {\n        console.warn('ledger post failed', err);\n      });\n      if (!posted) throw new Error('ledger post failed');",
      ),
    },
    {
      name: 'kafkajs: the result of a .catch() that only logs (an arrow returning the log call) is tested and thrown on',
      code: K_PROMISE_CATCH_RETURNS.replace(
        'async function post(entry: string): Promise<void> {\n  await pool.query(',
        'async function post(entry: string) {\n  return pool.query(',
      ).replace(
        "      await post(String(message.value)).catch((err) => console.warn('ledger post failed', err));",
        "      const posted = await post(String(message.value)).catch((err) => console.warn('ledger post failed', err));\n      if (!posted) throw new Error('ledger post failed');",
      ),
    },
    {
      name: 'amqplib: a .catch() that rethrows hands the failure on',
      code: A_PROMISE_CATCH_THEN_ACK.replace(
        "console.error('order failed', err));",
        "{\n      console.error('order failed', err);\n      throw err;\n    });",
      ),
    },
    {
      name: 'amqplib: a .catch() on one best-effort promise, then the ack',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    await pool.query('INSERT INTO orders (id) VALUES ($1)', [msg.properties.messageId]);
    await fetch('https://analytics.example.com/events', { method: 'POST', body: msg.content }).catch((err) => console.warn('analytics down', err));
    channel.ack(msg);
  });
}
`,
    },
    {
      name: 'amqplib: a try around one best-effort step, after which the processing goes on',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders.placed', async (msg) => {
    if (!msg) return;
    try {
      await fetch('https://crm.example.com/hooks/order', { method: 'POST', body: msg.content });
    } catch (err) {
      console.warn('crm hook failed, continuing', err);
    }
    await pool.query('INSERT INTO orders (id) VALUES ($1)', [msg.properties.messageId]);
    channel.ack(msg);
  });
}
`,
    },
    {
      name: 'amqplib RPC: the catch replies with the error to replyTo, then acks',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startRpc(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('quotes.rpc', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO quotes (id) VALUES ($1)', [msg.properties.messageId]);
      channel.sendToQueue(msg.properties.replyTo, Buffer.from('{"ok":true}'), { correlationId: msg.properties.correlationId });
    } catch (err) {
      channel.sendToQueue(msg.properties.replyTo, Buffer.from(JSON.stringify({ error: String(err) })), { correlationId: msg.properties.correlationId });
    }
    channel.ack(msg);
  });
}
`,
    },
    {
      name: 'amqplib noAck: true: nothing to swallow (auto-ack, at-most-once-consumer territory)',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startMetrics(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('metrics', async (msg) => {
    if (!msg) return;
    try {
      await pool.query('INSERT INTO metrics (raw) VALUES ($1)', [msg.content.toString()]);
    } catch (err) {
      console.error(err);
    }
  }, { noAck: true });
}
`,
    },
    // ---- kafkajs ------------------------------------------------------------------------------
    {
      name: 'kafkajs: the catch ends the process (nothing committed, the message comes back)',
      files: { 'logger.ts': LOGGER },
      code: K_CATCH_LOGS.replace(
        "logger.error('ledger write failed', { err });",
        "logger.error('ledger write failed, exiting', { err });\n        process.exit(1);",
      ),
    },
    {
      name: 'kafkajs: the catch rethrows after logging',
      files: { 'logger.ts': LOGGER },
      code: K_CATCH_LOGS.replace(
        "logger.error('ledger write failed', { err });",
        "logger.error('ledger write failed', { err });\n        throw err;",
      ),
    },
    {
      name: "kafkajs: the catch writes a 'failed' status row (handed on to a store)",
      files: { 'logger.ts': LOGGER },
      code: K_CATCH_LOGS.replace(
        "logger.error('ledger write failed', { err });",
        'await pool.query("INSERT INTO failed_payments (payment_id, error) VALUES ($1, $2)", [payment.id, String(err)]);',
      ),
    },
    {
      name: 'kafkajs: the catch publishes to a retry topic (failure routing)',
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const kafka = new Kafka({ clientId: 'ledger', brokers: ['kafka:9092'] });
const consumer = kafka.consumer({ groupId: 'ledger' });
const producer = kafka.producer();
const pool = new Pool();

export async function run(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      try {
        await pool.query('INSERT INTO ledger (raw) VALUES ($1)', [message.value!.toString()]);
      } catch (err) {
        await producer.send({ topic: 'payments.captured.retry', messages: [{ key: message.key, value: message.value, headers: message.headers }] });
      }
    },
  });
}
`,
    },
    {
      name: 'kafkajs: declared @delivery at-most-once (loss accepted)',
      code: `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const consumer = new Kafka({ clientId: 'stats', brokers: ['kafka:9092'] }).consumer({ groupId: 'stats' });
const pool = new Pool();

export async function run(): Promise<void> {
  await consumer.run({
    /** @delivery at-most-once */
    eachMessage: async ({ message }) => {
      try {
        await pool.query('INSERT INTO page_views (raw) VALUES ($1)', [message.value!.toString()]);
      } catch (err) {
        console.warn('dropping page view', err);
      }
    },
  });
}
`,
    },
    // ---- other libraries ----------------------------------------------------------------------
    {
      name: 'sqs-consumer 14: a catch that resolves without returning the message leaves it undeleted (unsettled-message, not this rule)',
      files: { 'package.json': SQS_CONSUMER_14 },
      code: SQS_CONSUMER_CATCH,
    },
    {
      name: 'BullMQ: the catch rethrows so the job fails and is retried',
      code: BULLMQ_CATCH.replace(
        "console.warn('welcome email failed', job.id, err);",
        "console.warn('welcome email failed', job.id, err);\n      throw err;",
      ),
    },
    {
      name: 'Service Bus (manual complete): the catch dead-letters the message',
      code: SERVICE_BUS_MANUAL.replace(
        "console.error('invoice failed', err);\n      }\n      await receiver.completeMessage(message);",
        'await receiver.deadLetterMessage(message, { deadLetterReason: String(err) });\n        return;\n      }\n      await receiver.completeMessage(message);',
      ),
    },
    {
      name: 'NestJS Kafka @MessagePattern: the catch returns the error to the caller (request/reply)',
      files: { 'main.ts': NEST_KAFKA_MAIN, 'app.module.ts': APP_MODULE },
      code: NEST_KAFKA_MESSAGE_PATTERN_REPLY,
    },
    {
      name: 'NestJS RMQ (noAck: false) @MessagePattern: the catch acks and returns the error to the caller',
      files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE },
      code: `import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, RmqContext } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class QuotesController {
  @MessagePattern('quote.create')
  async createQuote(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<{ ok: boolean; error?: string }> {
    const channel = context.getChannelRef();
    try {
      await pool.query('INSERT INTO quotes (id) VALUES ($1)', [data.id]);
      channel.ack(context.getMessage());
      return { ok: true };
    } catch (err) {
      channel.ack(context.getMessage());
      return { ok: false, error: String(err) };
    }
  }
}
`,
    },
    {
      name: 'NestJS RMQ (noAck: false) @MessagePattern: the catch acks and throws an RpcException to the caller',
      files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE },
      code: `import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, RmqContext, RpcException } from '@nestjs/microservices';
import { Pool } from 'pg';

const pool = new Pool();

@Controller()
export class QuotesController {
  @MessagePattern('quote.accept')
  async acceptQuote(@Payload() data: { id: string }, @Ctx() context: RmqContext): Promise<{ ok: boolean }> {
    const channel = context.getChannelRef();
    try {
      await pool.query('INSERT INTO accepted_quotes (id) VALUES ($1)', [data.id]);
      channel.ack(context.getMessage());
      return { ok: true };
    } catch (err) {
      channel.ack(context.getMessage());
      throw new RpcException(String(err));
    }
  }
}
`,
    },
    {
      name: 'NestJS RMQ: nack without requeue on a queue the bootstrap asserts with a dead-letter exchange (queueOptions.arguments)',
      files: { 'main.ts': NEST_RMQ_MAIN_DLX, 'app.module.ts': APP_MODULE },
      code: NEST_RMQ_NACK_DROP,
    },
    {
      name: 'Lambda SQS: the catch reports the record in batchItemFailures (redelivered)',
      code: LAMBDA_BATCH_ITEM_FAILURES,
    },
    {
      name: 'Lambda SQS: a whole-batch write whose catch returns every record as failed, built with map',
      code: `import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';

const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  try {
    const items = event.Records.map((record) => ({ PutRequest: { Item: { id: record.messageId, body: record.body } } }));
    await dynamo.send(new BatchWriteCommand({ RequestItems: { AuditLogs: items } }));
    return { batchItemFailures: [] };
  } catch (error) {
    console.error('audit batch failed', error);
    return {
      batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
    };
  }
};
`,
    },
    {
      name: "Lambda SQS: each record's .catch() returns a failure marker that the batch response reports",
      code: `import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { Pool } from 'pg';

const pool = new Pool();

type Outcome = { ok: true } | { ok: false; id: string };

async function store(body: string): Promise<void> {
  await pool.query('INSERT INTO receipts (body) VALUES ($1)', [body]);
}

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const outcomes = await Promise.all(
    event.Records.map((record) =>
      store(record.body)
        .then((): Outcome => ({ ok: true }))
        .catch((): Outcome => ({ ok: false, id: record.messageId })),
    ),
  );
  const failed = outcomes.filter((outcome): outcome is { ok: false; id: string } => !outcome.ok);
  return { batchItemFailures: failed.map((outcome) => ({ itemIdentifier: outcome.id })) };
};
`,
    },
    {
      name: 'JetStream: the catch naks the message for redelivery',
      code: NATS_NAK,
    },
    ...SHAPES_VALID,
  ],

  invalid: [
    invalid(
      // The retry loop is not a loop over items: the helper's catch swallows the failure of the message.
      'kafkajs: inside a wrapper retrying in while (true), a helper catches the insert failure and only logs',
      K_RETRY_LOOP_WRAPPER(
        "  try {\n    await pool.query('INSERT INTO deliveries (recipient) VALUES ($1)', [event.to]);\n  } catch (error) {\n    console.error('delivery not recorded', error);\n  }",
      ),
      '} catch (error) {',
      { messageId: 'returnAfterCaughtFailure', data: ['INSERT INTO deliveries'] },
    ),
    invalid(
      // docs/model.md, "Order": the returned value is a property of an awaited result, not a promise.
      'amqplib: a helper returns a property of the awaited delete inside its try and only logs the failure; the caller acks',
      `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

async function clearBadges(userId: string): Promise<number> {
  try {
    return (await pool.query('DELETE FROM badges WHERE user_id = $1', [userId])).rowCount ?? 0;
  } catch (err) {
    console.warn('badges not cleared', err);
    return 0;
  }
}

export async function startReads(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('channel.read', async (msg) => {
    if (!msg) return;
    const read = JSON.parse(msg.content.toString());
    await clearBadges(read.userId);
    channel.ack(msg);
  });
}
`,
      'channel.ack(msg);',
      { messageId: 'ackAfterCaughtFailure', data: ['DELETE FROM badges', 'channel.ack()'] },
    ),
    invalid(
      // A branch of the catch's own code falls off without the hand-on: first deliveries are lost.
      'amqplib: the catch dead-letters the message only when it was redelivered, then acks',
      A_DEAD_LETTER_HELPER('      if (msg.fields.redelivered) await deadLetters.send(msg.content, String(err));'),
      'channel.ack(msg);',
      { messageId: 'ackAfterCaughtFailure' },
    ),
    // ---- amqplib ------------------------------------------------------------------------------
    invalid(
      'amqplib: a helper catches and returns false, but the caller acks whatever it returned',
      A_HELPER_RETURNS_FLAG.replace(
        / {4}if \(saved\) \{[\s\S]*?\n {4}\}\n/,
        "    logger.error('saved', { saved });\n    channel.ack(msg);\n",
      ),
      'channel.ack(msg);',
      { messageId: 'ackAfterCaughtFailure' },
      { files: { 'logger.ts': LOGGER } },
    ),
    invalid(
      'amqplib: a helper catches and returns true as if it had succeeded; the caller acks on it',
      A_HELPER_RETURNS_FLAG.replace(
        "logger.error('order insert failed', { err });\n    return false;",
        "logger.error('order insert failed', { err });\n    return true;",
      ),
      'channel.ack(msg);',
      { messageId: 'ackAfterCaughtFailure' },
      { files: { 'logger.ts': LOGGER } },
    ),
    invalid(
      'amqplib: the catch only logs and the ack after the try settles the failed message',
      A_CATCH_LOGS_THEN_ACK,
      'channel.ack(msg);',
      {
        messageId: 'ackAfterCaughtFailure',
        data: ["amqplib consumer of queue 'orders.placed'", 'INSERT INTO orders', 'channel.ack()', 'catch on line 14'],
      },
      { files: { 'logger.ts': LOGGER } },
    ),
    invalid(
      'amqplib: a .catch() on the promise of the whole processing only logs, then the ack',
      A_PROMISE_CATCH_THEN_ACK,
      'channel.ack(msg);',
      { messageId: 'ackAfterCaughtFailure', data: ['INSERT INTO orders', 'channel.ack()', '.catch() on line 14'] },
    ),
    invalid(
      'amqplib: Promise.allSettled over the processing, its results never read, then the ack',
      A_PROMISE_CATCH_THEN_ACK.replace(
        "    await recordOrder(msg.properties.messageId).catch((err) => console.error('order failed', err));",
        '    await Promise.allSettled([recordOrder(msg.properties.messageId)]);',
      ),
      'channel.ack(msg);',
      {
        messageId: 'ackAfterCaughtFailure',
        data: ['INSERT INTO orders', 'channel.ack()', 'Promise.allSettled() on line 14'],
      },
    ),
    invalid(
      "amqplib: a wrapper's Promise.allSettled over the handler it is given, then the ack",
      A_WRAPPER_CATCH_FINALLY_ACK.replace(
        'channel.consume(queue, (msg) => {',
        'channel.consume(queue, async (msg) => {',
      ).replace(
        '    fn(msg)\n      .catch((error) => console.error(`${queue} failed`, error))\n      .finally(() => channel.ack(msg));',
        '    await Promise.allSettled([fn(msg)]);\n    channel.ack(msg);',
      ),
      'channel.ack(msg);',
      { messageId: 'ackAfterCaughtFailure', data: ['INSERT INTO orders', 'Promise.allSettled() on line 10'] },
    ),
    invalid(
      "amqplib: a wrapper's .catch(log).finally(ack) around the handler it is given acks every failure",
      A_WRAPPER_CATCH_FINALLY_ACK,
      '.finally(() => channel.ack(msg));',
      { messageId: 'ackAfterCaughtFailure', data: ['INSERT INTO orders', '.catch() on line 11'] },
    ),
    invalid(
      'kafkajs: eachMessage awaits the processing with a .catch() that only logs, then returns',
      K_PROMISE_CATCH_RETURNS,
      '.catch((err)',
      { messageId: 'returnAfterCaughtFailure', data: ['INSERT INTO ledger', '.catch() on line 15'] },
    ),
    invalid(
      'amqplib: catch that logs, unconditional ack in the finally',
      A_FINALLY_ACK_WITH_CATCH,
      'channel.ack(msg);',
      { messageId: 'ackAfterCaughtFailure' },
    ),
    invalid(
      'amqplib: try/finally without catch, the finally acks a message whose processing threw',
      A_FINALLY_ACK_NO_CATCH,
      'channel.ack(msg);',
      { messageId: 'ackInFinally' },
    ),
    invalid(
      'amqplib: the catch rethrows, but the finally has already acked the message',
      A_RETHROW_THEN_FINALLY_ACK,
      'channel.ack(msg);',
      { messageId: 'ackAfterCaughtFailure', data: 'channel.ack()' },
    ),
    invalid(
      'amqplib: nack(msg, false, false) in the catch with no dead-letter exchange for the queue drops it',
      A_NACK_DROP_NO_DLX,
      'channel.nack(msg, false, false);',
      { messageId: 'dropAfterFailure', data: ['without requeue drops the message', "queue 'payouts'"] },
    ),
    invalid(
      'amqplib: reject(msg, false) on a queue the project declares without a dead-letter exchange drops it',
      A_REJECT_DROP_NO_DLX,
      'channel.reject(msg, false);',
      { messageId: 'dropAfterFailure', data: 'channel.reject()' },
    ),
    invalid(
      'NestJS RMQ: nack without requeue on a queue the bootstrap asserts without a dead-letter exchange drops it',
      NEST_RMQ_NACK_DROP,
      'channel.nack(message, false, false);',
      { messageId: 'dropAfterFailure', data: ['channel.nack()', 'without a dead-letter exchange'] },
      { files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE } },
    ),
    {
      name: 'amqplib: the catch publishes to a destination that is not a failure route, then acks',
      code: A_ACK_IN_CATCH_NON_FAILURE_PUBLISH,
      errors: [
        {
          line: lineOf(A_ACK_IN_CATCH_NON_FAILURE_PUBLISH, "channel.publish('events'") + 1,
          messageId: 'ackAfterCaughtFailure',
        },
      ],
    },
    {
      name: 'amqplib wrapper: the catch in the wrapper is reported once, in the wrapper, for both callers',
      code: A_WRAPPER_CALLERS,
      files: { 'subscribe.ts': A_WRAPPER },
      errors: [
        {
          file: 'subscribe.ts',
          line: lineOf(A_WRAPPER, 'channel.ack(msg);'),
          messageId: 'ackAfterCaughtFailure',
          data: 'channel.ack()',
        },
      ],
    },
    // ---- kafkajs ------------------------------------------------------------------------------
    invalid(
      'kafkajs eachMessage: the catch only logs and the handler returns, so the offset is committed',
      K_CATCH_LOGS,
      '} catch (err) {',
      {
        messageId: 'returnAfterCaughtFailure',
        data: ["kafkajs consumer of topic 'payments.captured'", 'the offset is committed'],
      },
      { files: { 'logger.ts': LOGGER } },
    ),
    {
      name: 'kafkajs: the catch is in a helper in another file; reported on the handler call that leads there',
      code: K_CATCH_IN_HELPER,
      files: { 'ledger.ts': K_HELPER_SERVICE, 'logger.ts': LOGGER },
      errors: [
        {
          line: lineOf(K_CATCH_IN_HELPER, 'await recordPayment(payment);'),
          messageId: 'returnAfterCaughtFailure',
          data: ['catch on line 9 of ledger.ts', 'via recordPayment()'],
          related: 2,
        },
      ],
    },
    invalid(
      'kafkajs eachBatch: the catch logs, then resolveOffset marks the failed message done',
      K_EACH_BATCH,
      'resolveOffset(message.offset);',
      { messageId: 'ackAfterCaughtFailure', data: 'resolveOffset()' },
    ),
    // ---- other libraries ----------------------------------------------------------------------
    invalid(
      'sqs-consumer 11 (deletes on resolve): the catch logs and the handler resolves',
      SQS_CONSUMER_CATCH,
      '} catch (err) {',
      { messageId: 'returnAfterCaughtFailure', data: 'sqs-consumer deletes the message' },
      { files: { 'package.json': SQS_CONSUMER_11 } },
    ),
    invalid(
      'sqs-consumer 14: the catch logs and the handler returns the message, so it is deleted',
      SQS_CONSUMER_14_CATCH_RETURNS_MESSAGE,
      '} catch (err) {',
      { messageId: 'returnAfterCaughtFailure' },
      { files: { 'package.json': SQS_CONSUMER_14 } },
    ),
    invalid(
      'BullMQ Worker: a helper called once for the job only warns in its catch, so the job completes',
      bullmqHelperCalled(false),
      'await sendMention(job.data.emails[0]);',
      { messageId: 'returnAfterCaughtFailure', data: ['bullmq consumer', "'mentions'", 'sendMail'] },
    ),
    invalid('BullMQ Worker: the catch only warns, so the job completes', BULLMQ_CATCH, '} catch (err) {', {
      messageId: 'returnAfterCaughtFailure',
      data: ['bullmq consumer', "'welcome-emails'", 'sendMail'],
    }),
    invalid(
      'Service Bus subscribe (autoComplete): the catch logs and the message is completed',
      SERVICE_BUS_AUTO,
      '} catch (err) {',
      { messageId: 'returnAfterCaughtFailure', data: 'azure-service-bus consumer' },
    ),
    invalid(
      'Service Bus manual complete: the catch logs, then completeMessage',
      SERVICE_BUS_MANUAL,
      'await receiver.completeMessage(message);',
      { messageId: 'ackAfterCaughtFailure', data: 'receiver.completeMessage()' },
    ),
    // What a rethrow appended after the ack looks like: the message is still completed first.
    invalid(
      'Service Bus manual complete: a throw after the complete in the catch still settles the failed message',
      SERVICE_BUS_MANUAL.replace(
        "console.error('invoice failed', err);\n      }\n      await receiver.completeMessage(message);",
        "console.error('invoice failed', err);\n        await receiver.completeMessage(message); // then rethrow\n        throw err;\n      }\n      await receiver.completeMessage(message);",
      ),
      'await receiver.completeMessage(message); // then rethrow',
      { messageId: 'ackAfterCaughtFailure', data: 'receiver.completeMessage()' },
    ),
    invalid('Pub/Sub: the catch logs, then message.ack()', PUBSUB_CATCH_THEN_ACK, 'message.ack();', {
      messageId: 'ackAfterCaughtFailure',
      data: 'message.ack()',
    }),
    invalid(
      'NestJS RMQ (noAck: false): the catch logs, then channel.ack',
      NEST_RMQ_CATCH_THEN_ACK,
      'channel.ack(context.getMessage());',
      { messageId: 'ackAfterCaughtFailure', data: 'nestjs-microservices consumer' },
      { files: { 'main.ts': NEST_RMQ_MAIN, 'app.module.ts': APP_MODULE } },
    ),
    invalid(
      'NestJS Kafka @EventPattern: the catch logs, Nest commits the offset',
      NEST_KAFKA_CATCH,
      '} catch (err) {',
      { messageId: 'returnAfterCaughtFailure', data: 'Nest commits the offset' },
      { files: { 'main.ts': NEST_KAFKA_MAIN, 'app.module.ts': APP_MODULE } },
    ),
    invalid(
      'Lambda SQS: Promise.allSettled over the records, its results never read, drops every failure',
      LAMBDA_ALL_SETTLED,
      'await Promise.allSettled(',
      {
        messageId: 'returnAfterCaughtFailure',
        data: 'lambda-sqs consumer',
        message: 'the Promise.allSettled() on line',
      },
    ),
    invalid('Lambda SQS: the catch in the record loop logs, the batch is deleted', LAMBDA_CATCH, '} catch (err) {', {
      messageId: 'returnAfterCaughtFailure',
      data: 'lambda-sqs consumer',
    }),
    invalid(
      'Lambda SQS: a record helper swallows its failure and reports success, so the mapped failures leave it out',
      `import type { SQSEvent } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}));

async function archive(record: { messageId: string; body: string }): Promise<{ messageId: string; ok: boolean }> {
  try {
    await dynamo.send(new UpdateCommand({ TableName: 'Submissions', Key: { id: record.body }, UpdateExpression: 'SET archived = :t', ExpressionAttributeValues: { ':t': true } }));
  } catch (err) {
    console.warn('archive failed', err);
  }
  return { messageId: record.messageId, ok: true };
}

export const handler = async (event: SQSEvent) => {
  const batch = event.Records.map((record) => ({ messageId: record.messageId, body: record.body }));
  const results = await Promise.all(batch.map((item) => archive(item)));
  const batchItemFailures = results.filter((result) => !result.ok).map((result) => ({ itemIdentifier: result.messageId }));
  return { batchItemFailures };
};
`,
      'const results = await Promise.all',
      { messageId: 'returnAfterCaughtFailure', data: 'lambda-sqs consumer' },
    ),
    invalid(
      'SQS receive loop: the catch logs, then DeleteMessageCommand',
      SQS_LOOP_CATCH_THEN_DELETE,
      'await sqs.send(new DeleteMessageCommand',
      { messageId: 'ackAfterCaughtFailure', data: 'DeleteMessageCommand' },
    ),
    invalid('JetStream: term() in the catch drops the failed message', NATS_TERM, 'm.term();', {
      messageId: 'dropAfterFailure',
      data: 'JetStream never redelivers it',
    }),
    invalid(
      'Redis streams: the catch logs, then xack',
      REDIS_STREAM_CATCH_THEN_XACK,
      "await redis.xack(stream, 'billing', id);",
      { messageId: 'ackAfterCaughtFailure', data: 'xack()' },
    ),
    invalid(
      'SQS receive loop: the helper leaves the response undefined, but the loop deletes whatever it returned',
      sqsWebhookLoop(`      if (!response?.ok) logger.error('webhook not delivered', { status: response?.status });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));`),
      'await sqs.send(new DeleteMessageCommand',
      { messageId: 'ackAfterCaughtFailure', data: 'DeleteMessageCommand' },
      { files: { 'logger.ts': LOGGER } },
    ),
    invalid(
      'SQS receive loop: the catch falls back to a response of its own, and the loop deletes when it is ok',
      sqsWebhookLoop(
        DELETE_WHEN_OK,
        `
    response = new Response(null, { status: 202 });`,
      ),
      'await sqs.send(new DeleteMessageCommand',
      { messageId: 'ackAfterCaughtFailure', data: 'DeleteMessageCommand' },
      { files: { 'logger.ts': LOGGER } },
    ),
    invalid(
      'sqs-consumer (shouldDeleteMessages: false): the catch sets the success flag too, so the delete follows the failure',
      SQS_CONSUMER_SUCCESS_FLAG(`    if (recorded) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: message.ReceiptHandle }));
    }`).replace(
        "console.error('ledger entry failed', err);",
        "console.error('ledger entry failed', err);\n      recorded = true;",
      ),
      'await sqs.send(new DeleteMessageCommand',
      { messageId: 'ackAfterCaughtFailure', data: 'DeleteMessageCommand' },
    ),
    ...SHAPES_INVALID,
  ],
});
