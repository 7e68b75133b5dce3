/** Pub/Sub `orders-completed` topic, subscription `billing-tax-filing`. */
export interface OrderCompleted {
  orderId: string;
  customerId: string;
  country: string;
  currency: string;
  totalCents: number;
  taxCents: number;
  completedAt: string;
}
