import type { Invoice } from '@prisma/client';
import { prisma } from '../db/prisma';
import { stripe } from '../lib/stripe';
import type { OrderPlaced, PaymentReceived, RefundRequested } from '../events';

/** Charges the customer's saved card for the order and records the invoice. */
export async function chargeForOrder(order: OrderPlaced): Promise<Invoice> {
  const charge = await stripe.charges.create({
    amount: order.totalCents,
    currency: order.currency,
    customer: order.stripeCustomerId,
    description: `Order ${order.orderId}`,
    metadata: { orderId: order.orderId },
  });
  return createInvoice(order, charge.id);
}

async function createInvoice(order: OrderPlaced, chargeId: string): Promise<Invoice> {
  return prisma.invoice.create({
    data: {
      orderId: order.orderId,
      customerId: order.customerId,
      chargeId,
      currency: order.currency,
      totalCents: order.totalCents,
      status: 'PAID',
      lines: {
        create: order.lines.map((line) => ({
          sku: line.sku,
          quantity: line.quantity,
          unitPriceCents: line.unitPriceCents,
        })),
      },
    },
  });
}

/** Refunds a charge. Safe to run twice: Stripe dedups on the key, the row is keyed by refundId. */
export async function refundOrder(event: RefundRequested): Promise<void> {
  const refund = await stripe.refunds.create(
    { charge: event.chargeId, amount: event.amountCents, metadata: { refundId: event.refundId } },
    { idempotencyKey: `refund-${event.refundId}` },
  );
  await prisma.refund.upsert({
    where: { id: event.refundId },
    create: {
      id: event.refundId,
      orderId: event.orderId,
      stripeRefundId: refund.id,
      amountCents: event.amountCents,
      status: refund.status ?? 'pending',
    },
    update: { stripeRefundId: refund.id, status: refund.status ?? 'pending' },
  });
  await prisma.order.update({ where: { id: event.orderId }, data: { status: 'REFUNDED' } });
}

/**
 * Books a settled payment: one ledger row per payment (keyed by paymentId, so a retry after a
 * later step failed does not book it twice), invoice marked settled.
 */
export async function applyPayment(payment: PaymentReceived): Promise<void> {
  await prisma.$transaction([
    prisma.ledgerEntry.upsert({
      where: { paymentId: payment.paymentId },
      create: {
        paymentId: payment.paymentId,
        invoiceId: payment.invoiceId,
        kind: 'PAYMENT',
        amountCents: payment.amountCents,
        currency: payment.currency,
        bookedAt: new Date(payment.settledAt),
      },
      update: {},
    }),
    prisma.invoice.update({
      where: { id: payment.invoiceId },
      data: { status: 'SETTLED', settledAt: new Date(payment.settledAt) },
    }),
  ]);
}
