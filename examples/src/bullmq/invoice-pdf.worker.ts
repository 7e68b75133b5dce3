import { Worker, type Job } from 'bullmq';
import type { Invoice } from '@prisma/client';
import { prisma } from '../db/prisma';
import { logger } from '../lib/logger';
import { formatMoney } from '../services/email';
import { billingEmails, connection } from './connection';
import type { InvoicePdfJob } from './jobs';

const STORAGE_URL = process.env.DOCUMENT_STORAGE_URL ?? 'http://documents:8080';

function renderInvoice(invoice: Invoice): string {
  return [`Invoice ${invoice.id}`, `Order ${invoice.orderId}`, `Total ${formatMoney(invoice.totalCents, invoice.currency)}`].join('\n');
}

/**
 * Renders the invoice document, stores it under the invoice's own key, and asks the mailer to
 * send it. Safe to run twice: the PUT overwrites the same document and the e-mail job's ID comes
 * from this job's ID, so BullMQ keeps one.
 */
export const invoicePdfWorker = new Worker<InvoicePdfJob>(
  'invoice-pdfs',
  async (job: Job<InvoicePdfJob>) => {
    const invoice = await prisma.invoice.findUniqueOrThrow({ where: { id: job.data.invoiceId } });
    const res = await fetch(`${STORAGE_URL}/invoices/${invoice.id}.txt`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: renderInvoice(invoice),
    });
    if (!res.ok) throw new Error(`document storage answered ${res.status}`);
    await billingEmails.add(
      'invoice-ready',
      { to: job.data.customerEmail, invoiceId: invoice.id },
      { jobId: `invoice-ready-${job.id}`, attempts: 5, backoff: { type: 'exponential', delay: 10_000 } },
    );
    logger.info({ jobId: job.id, invoiceId: invoice.id }, 'invoice document stored');
  },
  { connection, concurrency: 4 },
);
