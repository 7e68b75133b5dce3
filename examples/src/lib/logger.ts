import pino from 'pino';

export const logger = pino({ name: 'orders-billing', level: process.env.LOG_LEVEL ?? 'info' });
