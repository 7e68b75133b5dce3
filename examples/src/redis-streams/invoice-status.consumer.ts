import { prisma } from '../db/prisma';
import { logger } from '../lib/logger';
import { redis } from '../lib/redis';

const STREAM = 'invoices.status';
const GROUP = 'billing';

type Entry = [id: string, fields: string[]];
type StreamReply = [stream: string, entries: Entry[]][];

/** Entry fields are `invoiceId <id> status <status>`. */
async function applyStatus(fields: string[]): Promise<void> {
  const invoiceId = fields[fields.indexOf('invoiceId') + 1];
  const status = fields[fields.indexOf('status') + 1];
  await prisma.invoice.update({ where: { id: invoiceId }, data: { status } });
}

/** Mirrors invoice status changes from the payments service into the billing database. */
export async function runInvoiceStatus(consumerName: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const reply = (await redis.xreadgroup('GROUP', GROUP, consumerName, 'COUNT', 100, 'BLOCK', 5_000, 'STREAMS', STREAM, '>')) as StreamReply | null;
    for (const [stream, entries] of reply ?? []) {
      for (const [id, fields] of entries) {
        await applyStatus(fields);
        await redis.xack(stream, GROUP, id);
      }
    }
  }
}

/** Takes over entries another consumer read but never acked (it crashed), after five minutes. */
export async function reclaimInvoiceStatus(consumerName: string): Promise<void> {
  let cursor = '0-0';
  do {
    const [next, entries] = (await redis.xautoclaim(STREAM, GROUP, consumerName, 300_000, cursor, 'COUNT', 100)) as [string, Entry[], string[]];
    for (const [id, fields] of entries) {
      await applyStatus(fields);
      await redis.xack(STREAM, GROUP, id);
    }
    if (entries.length) logger.info({ reclaimed: entries.length }, 'reclaimed invoice status entries');
    cursor = next;
  } while (cursor !== '0-0');
}
