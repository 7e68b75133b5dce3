import { headers, type JsMsg } from 'nats';
import { prisma } from '../db/prisma';
import { logger } from '../lib/logger';
import { natsConnection } from '../lib/nats';

/** JetStream `ORDERS` stream, subject `orders.paid`. */
interface OrderPaid {
  orderId: string;
  warehouse: string;
}

/** Moves paid orders to FULFILLING and asks the warehouse to pick them, in batches of 25. */
export async function runFulfillment(signal: AbortSignal): Promise<void> {
  const nc = await natsConnection();
  const js = nc.jetstream();
  const consumer = await js.consumers.get('ORDERS', 'fulfillment');
  while (!signal.aborted) {
    const batch = await consumer.fetch({ max_messages: 25, expires: 5_000 });
    for await (const m of batch) {
      try {
        const order = m.json<OrderPaid>();
        await prisma.order.update({ where: { id: order.orderId }, data: { status: 'FULFILLING' } });
        m.working();
        const h = headers();
        h.set('Order-Id', order.orderId);
        // JetStream drops a second publish with the same msgID within the stream's duplicate window.
        await js.publish(`warehouse.${order.warehouse}.pick`, JSON.stringify(order), { msgID: `pick-${m.seq}`, headers: h });
        m.ack();
      } catch (err) {
        logger.error({ err, seq: m.seq, redeliveries: (m as JsMsg).info.redeliveryCount }, 'fulfillment failed, redelivering in 10 s');
        m.nak(10_000);
      }
    }
  }
}
