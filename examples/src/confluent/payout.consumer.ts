import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { prisma } from '../db/prisma';
import { parseJson } from '../events';
import { logger } from '../lib/logger';
import { confluent } from './client';
import type { PayoutSettled } from './events';

/** Books settled payouts against their invoice; the offset is committed only after the booking. */
export async function startPayoutConsumer(): Promise<KafkaJS.Consumer> {
  const consumer = confluent.consumer({
    kafkaJS: { groupId: 'billing.payouts-settled', autoCommit: false },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: ['payouts.settled'] });

  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const payout = parseJson<PayoutSettled>(message.value);
      await prisma.$transaction([
        prisma.ledgerEntry.upsert({
          where: { paymentId: payout.payoutId },
          create: {
            paymentId: payout.payoutId,
            invoiceId: payout.invoiceId,
            kind: 'PAYOUT',
            amountCents: payout.amountCents,
            currency: payout.currency,
            bookedAt: new Date(payout.settledAt),
          },
          update: {},
        }),
        prisma.invoice.update({
          where: { id: payout.invoiceId },
          data: { status: 'SETTLED', settledAt: new Date(payout.settledAt) },
        }),
      ]);
      await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
      logger.info({ payoutId: payout.payoutId, offset: message.offset }, 'payout booked');
    },
  });

  return consumer;
}
