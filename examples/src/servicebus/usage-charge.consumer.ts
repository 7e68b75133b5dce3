import type { ServiceBusReceivedMessage, ServiceBusReceiver } from '@azure/service-bus';
import { logger } from '../lib/logger';
import { stripe } from '../lib/stripe';
import { serviceBus } from './client';
import type { UsageRecorded } from './events';

/** Turns metered usage into pending invoice items on the customer's next Stripe invoice. */
export function startUsageChargeConsumer(): ServiceBusReceiver {
  const receiver = serviceBus.createReceiver('usage', 'billing');

  receiver.subscribe(
    {
      processMessage: async (message: ServiceBusReceivedMessage) => {
        const usage = message.body as UsageRecorded;
        await stripe.invoiceItems.create({
          customer: usage.stripeCustomerId,
          amount: usage.quantity * usage.unitPriceCents,
          currency: usage.currency,
          description: `${usage.quantity} × ${usage.metric}`,
        });
        logger.info({ usageId: usage.usageId, messageId: message.messageId }, 'usage billed');
      },
      processError: async ({ error, entityPath }) => {
        logger.error({ err: error, entityPath }, 'usage receiver error');
      },
    },
    { maxConcurrentCalls: 8 },
  );

  return receiver;
}
