import { Kafka, logLevel } from 'kafkajs';
import { config } from '../config';

export const kafka = new Kafka({
  clientId: 'orders-billing',
  brokers: config.kafkaBrokers,
  logLevel: logLevel.WARN,
});
