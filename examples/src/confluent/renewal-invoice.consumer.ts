import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { config } from '../config';
import { prisma } from '../db/prisma';
import { parseJson } from '../events';
import { logger } from '../lib/logger';
import { transporter } from '../lib/mailer';
import { confluent } from './client';
import type { SubscriptionRenewed } from './events';

/** Invoices every subscription renewal and mails the invoice to the customer. */
export async function startRenewalInvoiceConsumer(): Promise<KafkaJS.Consumer> {
  const consumer = confluent.consumer({ kafkaJS: { groupId: 'billing.subscription-renewed' } });
  await consumer.connect();
  await consumer.subscribe({ topics: ['subscriptions.renewed'] });

  await consumer.run({
    eachMessage: async ({ message }) => {
      const renewal = parseJson<SubscriptionRenewed>(message.value);
      const invoice = await prisma.invoice.create({
        data: {
          orderId: renewal.subscriptionId,
          customerId: renewal.customerId,
          chargeId: `renewal:${renewal.renewalId}`,
          currency: renewal.currency,
          totalCents: renewal.amountCents,
          status: 'ISSUED',
        },
      });
      await transporter.sendMail({
        from: config.mailFrom,
        to: renewal.customerEmail,
        subject: `Your ${renewal.plan} subscription has been renewed`,
        text: `Invoice ${invoice.id} for the period starting ${renewal.periodStart} is attached to your account.`,
      });
      logger.info({ invoiceId: invoice.id, renewalId: renewal.renewalId }, 'renewal invoiced');
    },
  });

  return consumer;
}
