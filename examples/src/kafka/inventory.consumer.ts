import type { Consumer } from 'kafkajs';
import { prisma } from '../db/prisma';
import { kafka } from '../lib/kafka';
import { logger } from '../lib/logger';
import { parseJson, type OrderPlaced } from '../events';

/** Reserves stock for every placed order. */
export async function startInventoryConsumer(): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: 'billing.inventory', sessionTimeout: 30_000 });
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders.placed'] });

  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const event = parseJson<OrderPlaced>(message.value);

      // Commit up front so a rebalance in the middle of a big order doesn't reserve it twice.
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);

      for (const line of event.lines) {
        await prisma.stockLevel.update({
          where: { sku: line.sku },
          data: { reserved: { increment: line.quantity } },
        });
      }
      await prisma.reservation.create({
        data: { orderId: event.orderId, skus: event.lines.map((l) => l.sku), createdAt: new Date() },
      });
      logger.info({ orderId: event.orderId, lines: event.lines.length }, 'stock reserved');
    },
  });

  return consumer;
}
