import { ruleTester } from '../helpers/rule-tester';

ruleTester('ack-before-process', {
  valid: [
    {
      name: 'amqplib acks after the insert',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';
const pool = new Pool();
export async function start() {
  const connection = await amqp.connect('amqp://localhost');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT DO NOTHING', [msg.properties.messageId]);
    channel.ack(msg);
  });
}
`,
    },
  ],
  invalid: [
    {
      name: 'amqplib acks before the insert',
      code: `import amqp from 'amqplib';
import { Pool } from 'pg';
const pool = new Pool();
export async function start() {
  const connection = await amqp.connect('amqp://localhost');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    channel.ack(msg);
    await pool.query('INSERT INTO orders (id, total) VALUES ($1, $2)', [msg.properties.messageId, 10]);
  });
}
`,
      errors: [{ line: 9, message: ["amqplib consumer of queue 'orders'", 'INSERT INTO orders'], related: 1, severity: 'error' }],
    },
  ],
});
