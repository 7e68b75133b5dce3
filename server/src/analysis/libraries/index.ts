/** The broker libraries delivery-lint recognises, one module each (docs/model.md, "Per-library behaviour"). */
import { amqplib } from './amqplib';
import { azureServiceBus } from './azure-service-bus';
import { bullmq } from './bullmq';
import { clientSqs } from './client-sqs';
import { confluentKafka } from './confluent-kafka';
import { googlePubsub } from './google-pubsub';
import { kafkajs } from './kafkajs';
import { lambdaSqs } from './lambda-sqs';
import { natsJetstream } from './nats-jetstream';
import { redisStreams } from './redis-streams';
import { nestjsMicroservices } from './nestjs-microservices';
import { sqsConsumer } from './sqs-consumer';
import type { LibraryModule } from './module';

export type { LibraryModule, ConsumerSite, LibraryInfo } from './module';

export const LIBRARIES: readonly LibraryModule[] = [
  kafkajs,
  amqplib,
  sqsConsumer,
  nestjsMicroservices,
  confluentKafka,
  bullmq,
  googlePubsub,
  azureServiceBus,
  clientSqs,
  lambdaSqs,
  natsJetstream,
  redisStreams,
];

/** Every package name whose import marks a file for deep analysis (the text prefilter). */
export const BROKER_PACKAGES: readonly string[] = LIBRARIES.flatMap((library) => library.info.packages);
