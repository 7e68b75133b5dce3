import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { config } from '../config';

/** BullMQ needs `maxRetriesPerRequest: null` on its blocking connection. */
export const connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });

/** Customer e-mails are sent by the mailer service, which consumes this queue. */
export const billingEmails = new Queue('billing-emails', { connection });
