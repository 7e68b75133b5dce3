import { KafkaJS } from '@confluentinc/kafka-javascript';
import { config } from '../config';

/** The Confluent client (librdkafka underneath), through its KafkaJS-compatible API. */
export const confluent = new KafkaJS.Kafka({
  kafkaJS: { clientId: 'orders-billing', brokers: config.kafkaBrokers },
});
