import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions, Transport } from '@nestjs/microservices';
import { config } from '../config';
import { logger } from '../lib/logger';
import { ShippingModule } from './shipping.module';

/** The shipping service: a NestJS microservice on the RabbitMQ queue `shipping`, acking by hand. */
async function bootstrap(): Promise<void> {
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(ShippingModule, {
    transport: Transport.RMQ,
    options: {
      urls: [config.rabbitUrl],
      queue: 'shipping',
      queueOptions: { durable: true },
      noAck: false,
      prefetchCount: 10,
    },
  });
  app.enableShutdownHooks();
  await app.listen();
  logger.info('shipping microservice started');
}

bootstrap().catch((err) => {
  logger.fatal({ err }, 'failed to start');
  process.exit(1);
});
