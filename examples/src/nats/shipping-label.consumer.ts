import type { JsMsg } from 'nats';
import { logger } from '../lib/logger';
import { natsConnection } from '../lib/nats';

const CARRIER_API_URL = process.env.CARRIER_API_URL ?? 'https://api.carrier.example/v2';

/** JetStream `ORDERS` stream, subject `orders.paid`. */
interface OrderPaid {
  orderId: string;
  customerId: string;
  shippingAddress: { name: string; line1: string; city: string; postcode: string; country: string };
  weightGrams: number;
}

/** Buys a shipping label from the carrier for every paid order. */
export async function runShippingLabels(): Promise<void> {
  const nc = await natsConnection();
  const consumer = await nc.jetstream().consumers.get('ORDERS', 'shipping-labels');
  const messages = await consumer.consume({ max_messages: 20 });
  for await (const m of messages) {
    const order = m.json<OrderPaid>();
    // The carrier API is slow: ack first so JetStream doesn't redeliver while we wait.
    m.ack();
    const response = await fetch(`${CARRIER_API_URL}/labels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reference: order.orderId, address: order.shippingAddress, weightGrams: order.weightGrams }),
    });
    if (!response.ok) logger.error({ orderId: order.orderId, status: response.status, seq: (m as JsMsg).seq }, 'label purchase failed');
  }
}
