import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { logger } from '../lib/logger';
import { sqs } from '../lib/sqs';
import { parseJson, type PaymentReceived } from '../events';

const QUEUE_URL = process.env.LEDGER_EXPORT_QUEUE_URL ?? 'https://sqs.eu-west-1.amazonaws.com/123456789012/ledger-export';
const ACCOUNTING_API_URL = process.env.ACCOUNTING_API_URL ?? 'https://accounting.acme.example/api';

/** Pushes settled payments to the accounting system as journal entries, up to ten per poll. */
export async function pollLedgerExport(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }));
    if (Messages.length === 0) continue;

    Messages.forEach(async (message) => {
      const payment = parseJson<PaymentReceived>(message.Body);
      const response = await fetch(`${ACCOUNTING_API_URL}/journal-entries/${payment.paymentId}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ invoice: payment.invoiceId, amountCents: payment.amountCents, currency: payment.currency, bookedAt: payment.settledAt }),
      });
      if (!response.ok) logger.error({ paymentId: payment.paymentId, status: response.status }, 'journal entry rejected');
    });

    // One round trip for the whole batch.
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: QUEUE_URL, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}
