import type { Consumer as KafkaConsumer } from 'kafkajs';
import { prisma } from './db/prisma';
import { startAnalyticsConsumer } from './kafka/analytics.consumer';
import { startInventoryConsumer } from './kafka/inventory.consumer';
import { startOrderPlacedConsumer } from './kafka/order-placed.consumer';
import { startRefundConsumer } from './kafka/refund.consumer';
import { logger } from './lib/logger';
import { openChannel } from './lib/rabbit';
import { redis } from './lib/redis';
import { startInvoiceEmailConsumer } from './rabbit/invoice-email.consumer';
import { startPaymentReceivedConsumer } from './rabbit/payment-received.consumer';
import { createDisputeConsumer } from './sqs/dispute.consumer';
import { createReceiptConsumer } from './sqs/receipt.consumer';

async function main(): Promise<void> {
  const kafkaConsumers: KafkaConsumer[] = await Promise.all([
    startOrderPlacedConsumer(),
    startInventoryConsumer(),
    startRefundConsumer(),
    startAnalyticsConsumer(),
  ]);

  const channel = await openChannel();
  await startInvoiceEmailConsumer(channel);
  await startPaymentReceivedConsumer(channel);

  const sqsConsumers = [createDisputeConsumer(), createReceiptConsumer()];
  sqsConsumers.forEach((c) => c.start());

  logger.info('orders-billing consumers started');

  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    sqsConsumers.forEach((c) => c.stop({ abort: false }));
    await Promise.all(kafkaConsumers.map((c) => c.disconnect()));
    await channel.close();
    await Promise.all([prisma.$disconnect(), redis.quit()]);
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

main().catch((err) => {
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
});
