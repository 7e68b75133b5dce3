import type { Channel } from 'amqplib';
import { config } from '../config';
import { logger } from '../lib/logger';
import { transporter } from '../lib/mailer';
import { formatMoney } from '../services/email';
import { parseJson, type InvoiceIssued } from '../events';

const QUEUE = 'invoices';

/** Mails each issued invoice with its PDF attached. */
export async function startInvoiceEmailConsumer(channel: Channel): Promise<void> {
  await channel.assertQueue(QUEUE, { durable: true });
  await channel.prefetch(20);

  await channel.consume(QUEUE, async (msg) => {
    if (msg === null) return; // the broker cancelled the consumer

    const invoice = parseJson<InvoiceIssued>(msg.content);
    // SMTP is slow; ack now so the broker doesn't redeliver while the mail is in flight.
    channel.ack(msg);

    await transporter.sendMail({
      from: config.mailFrom,
      to: invoice.customerEmail,
      subject: `Invoice ${invoice.number}`,
      text: `Please find attached invoice ${invoice.number} for ${formatMoney(invoice.totalCents, invoice.currency)}.`,
      attachments: [{ filename: `${invoice.number}.pdf`, path: invoice.pdfUrl }],
    });
    logger.info({ invoiceId: invoice.invoiceId }, 'invoice mailed');
  });
}
