/**
 * The double-ack quick-fixes: remove a settle so every path settles once (the second one, or the
 * first when the second is the only settle of another path), move an ack a loop repeats to after
 * the loop, and, under noAck, remove the explicit settle or switch the consumer to manual ack.
 * Applied and re-analysed: no double-ack, and no path left unsettled.
 */
import { type FixCase, fixTests } from '../helpers/fix-cases';

const RULE = 'double-ack';

function amqp(body: string, options = ''): string {
  return `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
${body}
  }${options});
}
`;
}

const LOOP_AND_AFTER =
  amqp(`    const order = JSON.parse(msg.content.toString()) as { lines: { sku: string; qty: number }[] };
    for (const line of order.lines) {
      await pool.query('UPDATE stock SET reserved = $1 WHERE sku = $2', [line.qty, line.sku]);
      channel.ack(msg);
    }
    channel.ack(msg);`);

const LOOP_AND_AFTER_FIXED =
  amqp(`    const order = JSON.parse(msg.content.toString()) as { lines: { sku: string; qty: number }[] };
    for (const line of order.lines) {
      await pool.query('UPDATE stock SET reserved = $1 WHERE sku = $2', [line.qty, line.sku]);
    }
    channel.ack(msg);`);

const LOOP_ONLY =
  amqp(`    const order = JSON.parse(msg.content.toString()) as { lines: { sku: string; qty: number }[] };
    for (const line of order.lines) {
      await pool.query('UPDATE stock SET reserved = $1 WHERE sku = $2', [line.qty, line.sku]);
      channel.ack(msg);
    }
    console.log('reserved', order.lines.length);`);

const LOOP_ONLY_FIXED =
  amqp(`    const order = JSON.parse(msg.content.toString()) as { lines: { sku: string; qty: number }[] };
    for (const line of order.lines) {
      await pool.query('UPDATE stock SET reserved = $1 WHERE sku = $2', [line.qty, line.sku]);
    }
    channel.ack(msg);
    console.log('reserved', order.lines.length);`);

const HELPER = `import type { Channel, ConsumeMessage } from 'amqplib';
import { Pool } from 'pg';
const pool = new Pool();

export async function storeAndAck(channel: Channel, msg: ConsumeMessage): Promise<void> {
  await pool.query('INSERT INTO audit (id, payload) VALUES ($1, $2) ON CONFLICT DO NOTHING', [msg.properties.messageId, msg.content.toString()]);
  channel.ack(msg);
}
`;

const HELPER_CONSUMER = `import amqp from 'amqplib';
import { storeAndAck } from './audit';

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('audit', async (msg) => {
    if (!msg) return;
    await storeAndAck(channel, msg);
    channel.ack(msg);
  });
}
`;

const AUTO = amqp(
  `    await pool.query('INSERT INTO audit (payload) VALUES ($1)', [msg.content.toString()]);
    channel.ack(msg);`,
  ', { noAck: true }',
);

const SERVICE_BUS = `import { ServiceBusClient } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient('Endpoint=sb://x/').createReceiver('invoices');

receiver.subscribe(
  {
    processMessage: async (message) => {
      await pool.query('INSERT INTO invoices (id) VALUES ($1) ON CONFLICT DO NOTHING', [message.messageId]);
      await receiver.completeMessage(message);
      await receiver.completeMessage(message);
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`;

/** The same ack twice on one path, the second further down: removing it is a safe fix. */
const ACK_REPEATED = amqp(`    const order = JSON.parse(msg.content.toString()) as { id: string };
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [order.id]);
    channel.ack(msg);
    if (order.id.startsWith('test-')) {
      console.log('test order', order.id);
    }
    channel.ack(msg);`);

/** The second ack runs whether or not the first did (the first is inside an if): removing one is a choice. */
const ACK_CONDITIONAL_FIRST =
  amqp(`    const order = JSON.parse(msg.content.toString()) as { id: string; priority: boolean };
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [order.id]);
    if (order.priority) {
      channel.ack(msg);
    }
    console.log('stored', order.id);
    channel.ack(msg);`);

/** An ack then a nack: which one is meant is a choice, not a repetition. */
const ACK_THEN_NACK = amqp(`    const order = JSON.parse(msg.content.toString()) as { id: string };
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [order.id]);
    channel.ack(msg);
    channel.nack(msg, false, true);`);

const FOR_EACH = amqp(`    const order = JSON.parse(msg.content.toString()) as { lines: string[] };
    order.lines.forEach((line) => {
      console.log(line);
      channel.ack(msg);
    });`);

const cases: FixCase[] = [
  {
    name: 'amqplib: ack in the loop and after it: the loop ack goes (the one after the loop is the only settle of the empty order)',
    code: LOOP_AND_AFTER,
    fix: 'Remove channel.ack() on line 13',
    expected: LOOP_AND_AFTER_FIXED,
    absent: [RULE, 'unsettled-message'],
  },
  {
    name: 'amqplib: an ack the loop repeats moves after the loop',
    code: LOOP_ONLY,
    fix: 'Move channel.ack() after the loop',
    expected: LOOP_ONLY_FIXED,
    absent: [RULE, 'unsettled-message'],
  },
  {
    name: "amqplib: the helper acks, the handler's second ack is removed",
    code: HELPER_CONSUMER,
    files: { 'audit.ts': HELPER },
    fix: 'Remove channel.ack() on line 9',
    expected: HELPER_CONSUMER.replace('    channel.ack(msg);\n', ''),
    absent: [RULE, 'unsettled-message'],
  },
  {
    name: 'amqplib noAck: true: remove the explicit ack (keeps at-most-once, which at-most-once-consumer still reports)',
    code: AUTO,
    fix: 'Remove channel.ack()',
    expected: AUTO.replace('    channel.ack(msg);\n', ''),
    absent: [RULE],
    present: ['at-most-once-consumer'],
  },
  {
    name: 'amqplib noAck: true: or switch to manual ack, which makes the explicit ack the one settle',
    code: AUTO,
    fix: 'Switch to manual ack',
    expected: AUTO.replace('{ noAck: true }', '{ noAck: false }'),
    absent: [RULE, 'at-most-once-consumer', 'unsettled-message'],
  },
  {
    name: 'Service Bus: completeMessage twice: the second goes, a safe fix (it repeats the first)',
    code: SERVICE_BUS,
    fix: 'Remove receiver.completeMessage() on line 12',
    expected: SERVICE_BUS.replace(
      '      await receiver.completeMessage(message);\n      await receiver.completeMessage(message);\n',
      '      await receiver.completeMessage(message);\n',
    ),
    absent: [RULE],
    safe: true,
  },
  {
    name: 'amqplib: the same ack again further down the path: the second goes, a safe fix',
    code: ACK_REPEATED,
    fix: 'Remove channel.ack() on line 16',
    expected: ACK_REPEATED.replace('    }\n    channel.ack(msg);\n', '    }\n'),
    absent: [RULE, 'unsettled-message'],
    safe: true,
  },
  {
    name: 'amqplib: the first ack is conditional, the second the only settle of the other path: the first goes, not a safe fix',
    code: ACK_CONDITIONAL_FIRST,
    fix: 'Remove channel.ack() on line 13',
    expected: ACK_CONDITIONAL_FIRST.replace('      channel.ack(msg);\n', ''),
    absent: [RULE, 'unsettled-message'],
  },
  {
    name: 'amqplib: ack then nack: the nack goes, not a safe fix (a different settle is a choice)',
    code: ACK_THEN_NACK,
    fix: 'Remove channel.nack() on line 13',
    expected: ACK_THEN_NACK.replace('    channel.nack(msg, false, true);\n', ''),
    absent: [RULE],
  },
  { name: 'no fix for an ack in a forEach callback (moving it out is not mechanical)', code: FOR_EACH },
];

fixTests(RULE, cases);
