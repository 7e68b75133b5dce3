/** Event payloads this service consumes. Producers live in the orders and payments services. */

export interface OrderLine {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

/** Kafka `orders.placed`. */
export interface OrderPlaced {
  eventId: string;
  orderId: string;
  customerId: string;
  stripeCustomerId: string;
  currency: string;
  totalCents: number;
  lines: OrderLine[];
  placedAt: string;
}

/** Kafka `refunds.requested`, produced by the support tool. */
export interface RefundRequested {
  refundId: string;
  orderId: string;
  chargeId: string;
  amountCents: number;
  requestedBy: string;
}

/** Kafka `orders.*` and `refunds.*`, fanned in for analytics. */
export interface AnalyticsEvent {
  type: string;
  orderId?: string;
  amountCents?: number;
  occurredAt: string;
}

/** RabbitMQ `invoices`: an invoice was issued and must be mailed. */
export interface InvoiceIssued {
  invoiceId: string;
  number: string;
  orderId: string;
  customerEmail: string;
  totalCents: number;
  currency: string;
  pdfUrl: string;
}

/** RabbitMQ `payments.received`: the bank settled a payment against an invoice. */
export interface PaymentReceived {
  paymentId: string;
  invoiceId: string;
  amountCents: number;
  currency: string;
  customerEmail: string;
  settledAt: string;
}

/** SQS `disputes`: forwarded Stripe `charge.dispute.created` webhooks. */
export interface DisputeOpened {
  disputeId: string;
  chargeId: string;
  orderId: string;
  amountCents: number;
  reason: string;
}

/** SQS `receipts`: the storefront asks for a receipt after checkout. */
export interface ReceiptRequested {
  orderId: string;
  customerEmail: string;
  locale: string;
}

export function parseJson<T>(raw: Buffer | string | null | undefined): T {
  if (raw == null || raw.length === 0) throw new Error('empty message body');
  return JSON.parse(raw.toString()) as T;
}
