import { connect, type Channel } from 'amqplib';
import { config } from '../config';
import { logger } from './logger';

export async function openChannel(): Promise<Channel> {
  const connection = await connect(config.rabbitUrl);
  connection.on('error', (err) => logger.error({ err }, 'rabbitmq connection error'));
  connection.on('close', () => {
    logger.fatal('rabbitmq connection closed, exiting so the orchestrator restarts us');
    process.exit(1);
  });
  return connection.createChannel();
}
