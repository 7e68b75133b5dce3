/** Service Bus topic `usage`, subscription `billing`: metered usage from the API gateway. */
export interface UsageRecorded {
  usageId: string;
  stripeCustomerId: string;
  metric: string;
  quantity: number;
  unitPriceCents: number;
  currency: string;
}

/** Service Bus queue `invoice-exports`: invoices to mirror into the accounting system. */
export interface InvoiceExport {
  invoiceId: string;
  number: string;
  customerId: string;
  totalCents: number;
  currency: string;
}
