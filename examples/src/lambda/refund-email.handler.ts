import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { config } from '../config';
import { transporter } from '../lib/mailer';
import { parseJson, type RefundRequested } from '../events';
import { formatMoney } from '../services/email';

const processor = new BatchProcessor(EventType.SQS);
const persistenceStore = new DynamoDBPersistenceLayer({ tableName: process.env.IDEMPOTENCY_TABLE ?? 'billing-idempotency' });
const idempotencyConfig = new IdempotencyConfig({ eventKeyJmesPath: 'messageId', expiresAfterSeconds: 7 * 24 * 3600 });

/** One e-mail per refund, however often SQS delivers the record: Powertools records each messageId. */
const sendRefundEmail = makeIdempotent(
  async (record: SQSRecord): Promise<void> => {
    const refund = parseJson<RefundRequested & { customerEmail: string; currency: string }>(record.body);
    await transporter.sendMail({
      from: config.mailFrom,
      to: refund.customerEmail,
      subject: `Your refund for order ${refund.orderId}`,
      text: `We refunded ${formatMoney(refund.amountCents, refund.currency)}. It reaches your account in 5-10 days.`,
    });
  },
  { persistenceStore, config: idempotencyConfig },
);

/** Lambda on the `refund-emails` queue; failed records go back to SQS on their own. */
export const handler = async (event: SQSEvent, context: Context) => {
  idempotencyConfig.registerLambdaContext(context);
  return processPartialResponse(event, sendRefundEmail, processor, { context });
};
