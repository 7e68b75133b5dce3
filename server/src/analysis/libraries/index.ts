/** The broker libraries delivery-lint recognises, one module each (RULES.md section 4). */
import { amqplib } from './amqplib';
import { kafkajs } from './kafkajs';
import { sqsConsumer } from './sqs-consumer';
import type { LibraryModule } from './types';

export type { LibraryModule, ConsumerSite, LibraryInfo } from './types';

export const LIBRARIES: readonly LibraryModule[] = [kafkajs, amqplib, sqsConsumer];

/** Every package name whose import marks a file for deep analysis (the text prefilter). */
export const BROKER_PACKAGES: readonly string[] = LIBRARIES.flatMap((library) => library.info.packages);
