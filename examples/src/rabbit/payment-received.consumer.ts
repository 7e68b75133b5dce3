import type { Channel } from 'amqplib';
import { logger } from '../lib/logger';
import { redis } from '../lib/redis';
import { applyPayment } from '../services/billing';
import { sendPaymentConfirmation } from '../services/email';
import { parseJson, type PaymentReceived } from '../events';

const QUEUE = 'payments.received';
const DEAD_LETTER_EXCHANGE = 'payments.dlx';
/** Longer than the slowest run; if we crash mid-way the claim expires and a redelivery retries. */
const CLAIM_TTL_SECONDS = 300;
/** Longer than any redelivery or producer retry we expect for the same message. */
const DONE_TTL_SECONDS = 86_400;

/** Books settled payments and confirms them to the customer, once per message. */
export async function startPaymentReceivedConsumer(channel: Channel): Promise<void> {
  await channel.assertExchange(DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await channel.assertQueue(`${QUEUE}.dlq`, { durable: true });
  await channel.bindQueue(`${QUEUE}.dlq`, DEAD_LETTER_EXCHANGE, '');
  await channel.assertQueue(QUEUE, { durable: true, deadLetterExchange: DEAD_LETTER_EXCHANGE });
  await channel.prefetch(10);

  await channel.consume(QUEUE, async (msg) => {
    if (msg === null) return; // the broker cancelled the consumer

    let payment: PaymentReceived;
    try {
      if (!msg.properties.messageId) throw new Error('missing messageId');
      payment = parseJson<PaymentReceived>(msg.content);
    } catch (err) {
      logger.error({ err, deliveryTag: msg.fields.deliveryTag }, 'malformed payment message, dead-lettering');
      channel.nack(msg, false, false); // routed to payments.dlx by the queue's deadLetterExchange
      return;
    }

    const key = `payment-received:${msg.properties.messageId}`;

    const claimed = await redis.set(key, 'processing', 'EX', CLAIM_TTL_SECONDS, 'NX');
    if (!claimed) {
      logger.info({ key }, 'already processed or in progress, skipping duplicate');
      channel.ack(msg);
      return;
    }

    try {
      await applyPayment(payment);
      // Last, so a failure above never sends a confirmation for money we did not book.
      await sendPaymentConfirmation(payment);
      await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
    } catch (err) {
      logger.error({ err, paymentId: payment.paymentId }, 'payment processing failed, requeueing');
      await redis.del(key);
      channel.nack(msg, false, true);
      return;
    }

    channel.ack(msg);
  });
}
