import type { OrderLine } from '../events';

/** RabbitMQ `shipping`, pattern `order.paid`: the order is paid and can be fulfilled. */
export interface OrderPaid {
  orderId: string;
  warehouseEmail: string;
  lines: OrderLine[];
}

/** RabbitMQ `shipping`, pattern `order.cancelled`. */
export interface OrderCancelled {
  orderId: string;
  customerEmail: string;
  reason: string;
}
