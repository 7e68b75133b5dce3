import { connect, type NatsConnection } from 'nats';

let connection: Promise<NatsConnection> | undefined;

/** One NATS connection per process, opened on first use. */
export function natsConnection(): Promise<NatsConnection> {
  connection ??= connect({ servers: (process.env.NATS_URL ?? 'nats://localhost:4222').split(','), name: 'orders-billing' });
  return connection;
}
