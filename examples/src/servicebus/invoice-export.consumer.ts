import type { ServiceBusReceiver } from '@azure/service-bus';
import { logger } from '../lib/logger';
import { serviceBus } from './client';
import type { InvoiceExport } from './events';

const ACCOUNTING_URL = process.env.ACCOUNTING_API_URL ?? 'https://accounting.example.com/api';

/**
 * Mirrors issued invoices into the accounting system, in batches. Each message is completed only
 * after the PUT (idempotent: keyed by the invoice) succeeded; failures go back to the queue and
 * malformed messages to its dead-letter sub-queue.
 */
export async function exportInvoices(signal: AbortSignal): Promise<void> {
  const receiver: ServiceBusReceiver = serviceBus.createReceiver('invoice-exports');
  while (!signal.aborted) {
    const messages = await receiver.receiveMessages(20, { maxWaitTimeInMs: 10_000 });
    for (const message of messages) {
      const invoice = message.body as Partial<InvoiceExport>;
      if (!invoice.invoiceId || !invoice.number) {
        await receiver.deadLetterMessage(message, { deadLetterReason: 'malformed', deadLetterErrorDescription: 'invoiceId and number are required' });
        continue;
      }
      try {
        const res = await fetch(`${ACCOUNTING_URL}/invoices/${invoice.invoiceId}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(invoice),
        });
        if (!res.ok) throw new Error(`accounting answered ${res.status}`);
      } catch (err) {
        logger.warn({ err, invoiceId: invoice.invoiceId }, 'invoice export failed, abandoning for redelivery');
        await receiver.abandonMessage(message);
        continue;
      }
      await receiver.completeMessage(message);
    }
  }
  await receiver.close();
}
