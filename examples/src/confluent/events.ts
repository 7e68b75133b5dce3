/** Kafka `subscriptions.renewed`, produced by the subscriptions service. */
export interface SubscriptionRenewed {
  renewalId: string;
  subscriptionId: string;
  customerId: string;
  customerEmail: string;
  plan: string;
  currency: string;
  amountCents: number;
  periodStart: string;
}

/** Kafka `payouts.settled`, produced by the payments service. */
export interface PayoutSettled {
  payoutId: string;
  invoiceId: string;
  amountCents: number;
  currency: string;
  settledAt: string;
}
