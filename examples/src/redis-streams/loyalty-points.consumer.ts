import { logger } from '../lib/logger';
import { redis } from '../lib/redis';

const STREAM = 'payments.settled';
const GROUP = 'loyalty';

type StreamReply = [stream: string, entries: [id: string, fields: string[]][]][];

function fieldsToObject(fields: string[]): Record<string, string> {
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) result[fields[i]] = fields[i + 1];
  return result;
}

/** One loyalty point per euro paid, credited from the settled-payments stream. */
export async function runLoyaltyPoints(consumerName: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const reply = (await redis.xreadgroup('GROUP', GROUP, consumerName, 'COUNT', 50, 'BLOCK', 5_000, 'STREAMS', STREAM, '>')) as StreamReply | null;
    if (!reply) continue;
    for (const [stream, entries] of reply) {
      for (const [id, fields] of entries) {
        const payment = fieldsToObject(fields);
        const points = Math.floor(Number(payment.amountCents) / 100);
        await redis.hincrby('loyalty:points', payment.customerId, points);
        await redis.xack(stream, GROUP, id);
        logger.debug({ id, customerId: payment.customerId, points }, 'loyalty points credited');
      }
    }
  }
}
