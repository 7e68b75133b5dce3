/** `invoice-pdfs` jobs, added by the invoicing API after an invoice is issued. */
export interface InvoicePdfJob {
  invoiceId: string;
  customerEmail: string;
}

/** `dunning` jobs, scheduled by the nightly overdue-invoice scan. */
export interface DunningReminderJob {
  invoiceId: string;
  invoiceNumber: string;
  customerEmail: string;
  amountDueCents: number;
  currency: string;
  daysOverdue: number;
}
