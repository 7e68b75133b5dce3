import { Consumer } from 'sqs-consumer';
import { config } from '../config';
import { prisma } from '../db/prisma';
import { logger } from '../lib/logger';
import { sqs } from '../lib/sqs';
import { parseJson, type DisputeOpened } from '../events';

/** Records chargebacks forwarded from Stripe webhooks and flags the order. */
export function createDisputeConsumer(): Consumer {
  const consumer = Consumer.create({
    queueUrl: config.disputesQueueUrl,
    sqs,
    batchSize: 5,
    visibilityTimeout: 60,
    handleMessage: async (message) => {
      const dispute = parseJson<DisputeOpened>(message.Body);

      // Fraud scoring wants every dispute signal as early as possible.
      const res = await fetch(`${config.fraudApiUrl}/signals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'dispute_opened', chargeId: dispute.chargeId, amountCents: dispute.amountCents }),
      });
      if (!res.ok) throw new Error(`fraud API answered ${res.status}`);

      if (await prisma.processedEvent.findUnique({ where: { id: message.MessageId } })) return message;

      // Inbox pattern: the processed_events row commits or rolls back with the writes below.
      await prisma.$transaction(async (tx) => {
        await tx.processedEvent.create({ data: { id: message.MessageId!, source: 'sqs:disputes' } });
        await tx.dispute.create({
          data: {
            id: dispute.disputeId,
            chargeId: dispute.chargeId,
            orderId: dispute.orderId,
            amountCents: dispute.amountCents,
            reason: dispute.reason,
          },
        });
        await tx.order.update({
          where: { id: dispute.orderId },
          data: { status: 'DISPUTED', disputedCents: { increment: dispute.amountCents } },
        });
      });

      logger.info({ disputeId: dispute.disputeId, orderId: dispute.orderId }, 'dispute recorded');
      return message;
    },
  });

  consumer.on('processing_error', (err, message) => logger.error({ err, messageId: message.MessageId }, 'dispute failed'));
  consumer.on('error', (err) => logger.error({ err }, 'disputes consumer error'));
  return consumer;
}
