import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { prisma } from '../db/prisma';
import { logger } from '../lib/logger';
import { sqs } from '../lib/sqs';
import { stripe } from '../lib/stripe';
import { parseJson } from '../events';

const QUEUE_URL = process.env.INVOICE_OVERDUE_QUEUE_URL ?? 'https://sqs.eu-west-1.amazonaws.com/123456789012/invoice-overdue';

/** Sent by the dunning scheduler when an invoice passes its due date. */
interface InvoiceOverdue {
  invoiceId: string;
  stripeInvoiceId: string;
  dueDate: string;
}

/** Marks overdue invoices and has Stripe e-mail the invoice again. */
export async function pollOverdueInvoices(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }));
    for (const message of Messages ?? []) {
      try {
        const overdue = parseJson<InvoiceOverdue>(message.Body);
        await prisma.invoice.update({ where: { id: overdue.invoiceId }, data: { status: 'OVERDUE' } });
        await stripe.invoices.sendInvoice(overdue.stripeInvoiceId, {}, { idempotencyKey: `invoice-overdue-${message.MessageId}` });
        await sqs.send(new DeleteMessageCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: message.ReceiptHandle }));
      } catch (err) {
        logger.error({ err, messageId: message.MessageId }, 'overdue invoice failed, making it visible again');
        await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: QUEUE_URL, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }));
      }
    }
  }
}
