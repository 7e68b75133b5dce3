import type { Consumer } from 'kafkajs';
import { kafka } from '../lib/kafka';
import { logger } from '../lib/logger';
import { chargeForOrder } from '../services/billing';
import { parseJson, type OrderPlaced } from '../events';

/** Charges every placed order and writes its invoice. */
export async function startOrderPlacedConsumer(): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: 'billing.order-placed' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders.placed'] });

  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const event = parseJson<OrderPlaced>(message.value);
      const log = logger.child({ topic, partition, offset: message.offset, orderId: event.orderId });

      if (event.totalCents <= 0) {
        log.info('free order, nothing to charge');
        return;
      }

      const invoice = await chargeForOrder(event);
      log.info({ invoiceId: invoice.id }, 'order charged and invoiced');
    },
  });

  return consumer;
}
