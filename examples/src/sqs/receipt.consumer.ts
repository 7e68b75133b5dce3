import { Consumer } from 'sqs-consumer';
import { config } from '../config';
import { logger } from '../lib/logger';
import { sqs } from '../lib/sqs';
import { sendReceipt } from '../services/email';
import { parseJson, type ReceiptRequested } from '../events';

/** Mails a receipt after checkout. */
export function createReceiptConsumer(): Consumer {
  const consumer = Consumer.create({
    queueUrl: config.receiptsQueueUrl,
    sqs,
    batchSize: 10,
    handleMessage: async (message) => {
      const request = parseJson<ReceiptRequested>(message.Body);
      if (!request.customerEmail) {
        logger.warn({ orderId: request.orderId }, 'receipt request without an email address, dropping');
        return message;
      }

      // Rendering and SMTP take seconds; don't hold the queue for them.
      void sendReceipt(request);

      return message;
    },
  });

  consumer.on('processing_error', (err, message) => logger.error({ err, messageId: message.MessageId }, 'receipt failed'));
  consumer.on('error', (err) => logger.error({ err }, 'receipts consumer error'));
  return consumer;
}
