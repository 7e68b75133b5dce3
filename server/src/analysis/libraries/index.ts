/** The broker libraries delivery-lint recognises, one module each (docs/model.md, "Per-library behaviour"). */
import { amqplib } from './amqplib';
import { DEAD_LETTER_TEXT } from './dead-letter';
import { azureServiceBus } from './azure-service-bus';
import { bullmq } from './bullmq';
import { clientSqs } from './client-sqs';
import { confluentKafka } from './confluent-kafka';
import { googlePubsub } from './google-pubsub';
import { kafkajs } from './kafkajs';
import { lambdaSqs } from './lambda-sqs';
import { natsJetstream } from './nats-jetstream';
import { redisStreams } from './redis-streams';
import { BOOTSTRAP_TEXT, CHANNEL_SETTLE_TEXT, MODULE_TEXT, nestjsMicroservices } from './nestjs-microservices';
import { CQRS_HANDLER_TEXT } from '../handler/cqrs';
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

/**
 * The text tests of the scans that read every file of the program rather than what a consumer's
 * file imports (dead-letter declarations, NestJS bootstraps): a file matching one can change the
 * report of a consumer that does not import it. The CLI's cache treats such files as read by
 * every consumer (pipeline/cache.ts); a new program-wide scan adds its test here
 * (test/cli/cache.test.ts checks that every `getSourceFiles()` scan has one).
 */
export const PROGRAM_WIDE_TEXT: readonly RegExp[] = [
  DEAD_LETTER_TEXT,
  BOOTSTRAP_TEXT,
  MODULE_TEXT,
  CHANNEL_SETTLE_TEXT,
  CQRS_HANDLER_TEXT,
];
