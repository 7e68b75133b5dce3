import type { Message, Subscription } from '@google-cloud/pubsub';
import { parseJson, type PaymentReceived } from '../events';
import { logger } from '../lib/logger';
import { redis } from '../lib/redis';
import { applyPayment } from '../services/billing';
import { sendPaymentConfirmation } from '../services/email';
import { pubsub } from './client';

/** Longer than the slowest run; a crash mid-way lets the claim expire so a redelivery retries. */
const CLAIM_TTL_SECONDS = 300;
const DONE_TTL_SECONDS = 86_400;

/** Card payments settled by the payment provider (published by its webhook bridge). */
export function startPaymentSettledConsumer(): Subscription {
  const subscription = pubsub.subscription('billing-payments-settled');

  subscription.on('message', async (message: Message) => {
    const key = `pubsub-payment-settled:${message.id}`;
    const claimed = await redis.set(key, 'processing', 'EX', CLAIM_TTL_SECONDS, 'NX');
    if (!claimed) {
      logger.info({ key }, 'duplicate delivery, already handled');
      message.ack();
      return;
    }

    try {
      const payment = parseJson<PaymentReceived>(message.data);
      await applyPayment(payment);
      await sendPaymentConfirmation(payment);
      await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
    } catch (err) {
      logger.error({ err, messageId: message.id }, 'payment settlement failed, redelivering');
      await redis.del(key);
      message.nack();
      return;
    }

    message.ack();
  });
  subscription.on('error', (err) => logger.error({ err }, 'payments subscription error'));
  return subscription;
}
