import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { prisma } from '../db/prisma';
import { logger } from '../lib/logger';
import { stripe } from '../lib/stripe';
import { parseJson } from '../events';

/** SQS `seller-payouts`: the marketplace owes a seller their share of a settled invoice. */
interface PayoutRequested {
  payoutId: string;
  invoiceId: string;
  sellerAccountId: string;
  amountCents: number;
  currency: string;
}

/** Lambda on the `seller-payouts` queue (ReportBatchItemFailures on the event source mapping). */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const batchItemFailures: SQSBatchItemFailure[] = [];
  for (const record of event.Records) {
    try {
      const payout = parseJson<PayoutRequested>(record.body);
      const transfer = await stripe.transfers.create({
        amount: payout.amountCents,
        currency: payout.currency,
        destination: payout.sellerAccountId,
        metadata: { payoutId: payout.payoutId },
      });
      await prisma.ledgerEntry.create({
        data: {
          paymentId: transfer.id,
          invoiceId: payout.invoiceId,
          kind: 'PAYOUT',
          amountCents: -payout.amountCents,
          currency: payout.currency,
          bookedAt: new Date(),
        },
      });
    } catch (err) {
      logger.error({ err, messageId: record.messageId }, 'payout failed, Lambda will retry it');
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
