import type { Consumer } from 'kafkajs';
import { kafka } from '../lib/kafka';
import { logger } from '../lib/logger';
import { refundOrder } from '../services/billing';
import { parseJson, type RefundRequested } from '../events';

/** Issues refunds requested by support agents. */
export async function startRefundConsumer(): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: 'billing.refunds' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['refunds.requested'] });

  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const event = parseJson<RefundRequested>(message.value);
      logger.info({ partition, offset: message.offset, refundId: event.refundId }, 'refunding');
      await refundOrder(event);
    },
  });

  return consumer;
}
