import type { Message, Subscription } from '@google-cloud/pubsub';
import { prisma } from '../db/prisma';
import { parseJson } from '../events';
import { logger } from '../lib/logger';
import { pubsub } from './client';
import type { OrderCompleted } from './events';

const TAX_API_URL = process.env.TAX_API_URL ?? 'https://tax.example.com/v1';

/** Reports every completed order to the tax service and marks it as reported. */
export function startTaxFilingConsumer(): Subscription {
  const subscription = pubsub.subscription('billing-tax-filing', { flowControl: { maxMessages: 20 } });

  subscription.on('message', async (message: Message) => {
    // Ack right away so Pub/Sub does not redeliver while the tax API is slow.
    message.ack();

    const order = parseJson<OrderCompleted>(message.data);
    const res = await fetch(`${TAX_API_URL}/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reference: order.orderId, country: order.country, amount: order.totalCents, tax: order.taxCents }),
    });
    if (!res.ok) {
      logger.error({ orderId: order.orderId, status: res.status }, 'tax filing rejected');
      return;
    }
    await prisma.order.update({ where: { id: order.orderId }, data: { status: 'TAX_REPORTED' } });
  });
  subscription.on('error', (err) => logger.error({ err }, 'tax filing subscription error'));
  return subscription;
}
