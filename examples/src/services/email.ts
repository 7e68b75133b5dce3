import { config } from '../config';
import { prisma } from '../db/prisma';
import { transporter } from '../lib/mailer';
import type { PaymentReceived, ReceiptRequested } from '../events';

export function formatMoney(cents: number, currency: string, locale = 'en-GB'): string {
  return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(cents / 100);
}

/** Loads the order, renders the receipt and mails it. Takes 1-3 s (template + SMTP). */
export async function sendReceipt(request: ReceiptRequested): Promise<void> {
  const order = await prisma.order.findUniqueOrThrow({
    where: { id: request.orderId },
    include: { lines: true },
  });
  const rows = order.lines
    .map((l) => `<tr><td>${l.sku}</td><td>${l.quantity}</td><td>${formatMoney(l.unitPriceCents, order.currency, request.locale)}</td></tr>`)
    .join('');
  await transporter.sendMail({
    from: config.mailFrom,
    to: request.customerEmail,
    subject: `Your receipt for order ${order.id}`,
    html: `<table>${rows}</table><p>Total: ${formatMoney(order.totalCents, order.currency, request.locale)}</p>`,
  });
}

export async function sendPaymentConfirmation(payment: PaymentReceived): Promise<void> {
  await transporter.sendMail({
    from: config.mailFrom,
    to: payment.customerEmail,
    subject: 'We received your payment',
    text: `Thanks, we received ${formatMoney(payment.amountCents, payment.currency)} for invoice ${payment.invoiceId}.`,
  });
}
