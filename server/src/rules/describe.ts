/** Wording shared by the rules' messages, so every finding names its consumer the same way. */
import type { ConsumerReport, EffectOccurrence, RelatedLocation } from '../model';

const SOURCE_NOUN: Record<string, string> = { kafkajs: 'topic', amqplib: 'queue', 'sqs-consumer': 'queue', 'nestjs-microservices': 'pattern', 'confluent-kafka': 'topic', bullmq: 'queue', 'google-pubsub': 'subscription', 'client-sqs': 'queue', 'redis-streams': 'stream' };

/** "kafkajs consumer of topic 'orders.placed'" */
export function consumerName(consumer: ConsumerReport): string {
  const { library, source } = consumer.registration;
  const noun = SOURCE_NOUN[library] ?? 'source';
  return source ? `${library} consumer of ${noun} '${source}'` : `${library} consumer`;
}

/** Why the broker delivers the message again, per library and ack mode. */
export function redeliveryCause(consumer: ConsumerReport): string {
  switch (consumer.registration.library) {
    case 'kafkajs':
    case 'confluent-kafka':
      return consumer.registration.ackMode === 'explicit'
        ? 'a crash, a rebalance or a failed step before commitOffsets makes Kafka deliver it again'
        : 'a crash or a rebalance before the offset is committed makes Kafka deliver it again';
    case 'amqplib':
      return 'a crash, a lost connection or a nack before the ack makes RabbitMQ deliver it again';
    case 'sqs-consumer':
      return 'a crash, a thrown error or a visibility timeout before the delete makes SQS deliver it again';
    case 'nestjs-microservices':
      return consumer.registration.form.endsWith('(Kafka)')
        ? 'a crash or a rebalance before Nest commits the offset makes Kafka deliver it again'
        : 'a crash, a lost connection or a nack before the ack makes RabbitMQ deliver it again';
    case 'bullmq':
      return 'a worker that stalls (a crash, a deploy, a blocked event loop) or a retried failure makes BullMQ run the job again';
    case 'google-pubsub':
      return 'a crash, a nack or an expired ack deadline before the ack makes Pub/Sub deliver it again';
    case 'azure-service-bus':
      return consumer.registration.ackMode === 'explicit'
        ? 'a crash, an abandon or an expired lock before completeMessage makes Service Bus deliver it again'
        : 'a crash, a thrown error (the receiver abandons the message) or an expired lock makes Service Bus deliver it again';
    case 'client-sqs':
      return 'a crash, a failed step or an expired visibility timeout before DeleteMessage makes SQS deliver it again';
    case 'lambda-sqs':
      return 'a failed or timed-out invocation (without batchItemFailures, one failing record fails the whole batch) or an SQS duplicate makes Lambda deliver it again';
    case 'nats-jetstream':
      return 'a crash, a nak or an ack wait that expires before the ack makes JetStream deliver it again';
    case 'redis-streams':
      return 'a crash before XACK leaves the entry pending, and XAUTOCLAIM/XCLAIM (or a restart reading the pending entries) delivers it again';
    default:
      return 'the broker delivers it again after a crash or a lost ack';
  }
}

/** What settling means for this library, in one phrase ("commits the offset"). */
export function settleMeaning(consumer: ConsumerReport): string {
  switch (consumer.registration.library) {
    case 'kafkajs':
    case 'confluent-kafka':
      return 'the offset is committed';
    case 'bullmq':
      return 'BullMQ completes the job';
    case 'azure-service-bus':
      return 'the receiver completes the message';
    case 'sqs-consumer':
      return 'sqs-consumer deletes the message';
    case 'nestjs-microservices':
      return consumer.registration.form.endsWith('(Kafka)') ? 'Nest commits the offset' : 'the message is acknowledged';
    case 'lambda-sqs':
      return 'Lambda deletes the batch from SQS';
    case 'nats-jetstream':
      return 'the client acks the message';
    default:
      return 'the message is acknowledged';
  }
}

export function effectPhrase(effect: EffectOccurrence): string {
  const via = effect.chain.length ? ` (via ${effect.chain.map((link) => `${link.callee}()`).join(' → ')})` : '';
  return `${effect.description.label}${via}`;
}

/** Related locations for an effect: the effect itself and each call that leads to it. */
export function effectRelated(effect: EffectOccurrence, what: string): RelatedLocation[] {
  const related: RelatedLocation[] = [{ location: effect.location, message: what }];
  effect.chain.forEach((link, index) => {
    related.push({ location: link.location, message: `${index === 0 ? 'the handler calls' : 'which calls'} ${link.callee}()` });
  });
  return related;
}

export function listPhrases(items: string[], max = 3): string {
  const shown = items.slice(0, max);
  const rest = items.length - shown.length;
  const joined = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}` : shown[0] ?? '';
  return rest > 0 ? `${joined} (and ${rest} more)` : joined;
}

export function relativeLine(location: { line: number }): string {
  return `line ${location.line}`;
}

/** The consumer's registration, as a related location every finding carries. */
export function registrationRelated(consumer: ConsumerReport): RelatedLocation {
  const { library, ackMode, form } = consumer.registration;
  return { location: consumer.registration.location, message: `registered with ${library} ${form} (${ackMode})` };
}
