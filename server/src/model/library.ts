/**
 * Library traits (docs/model.md, "Per-library behaviour"): what a broker library does with a
 * message, as data. Each library module in analysis/libraries/ declares its traits; the analysis
 * copies them onto the consumer's registration, and the rules, fixes, the crash timeline and the
 * explanations read them there. Nothing above the library modules asks which library a consumer
 * uses: it asks what its library does.
 *
 * Phrases are written to be embedded in sentences (no capital, no final period) and are shown to
 * users as they are; `{{name}}` marks a value filled in where the phrase is used.
 */
import type { AckMode } from './delivery';

/** The broker libraries delivery-lint recognises, one module each in analysis/libraries/. */
export type LibraryId =
  | 'kafkajs'
  | 'confluent-kafka'
  | 'amqplib'
  | 'sqs-consumer'
  | 'client-sqs'
  | 'lambda-sqs'
  | 'nestjs-microservices'
  | 'bullmq'
  | 'google-pubsub'
  | 'azure-service-bus'
  | 'nats-jetstream'
  | 'redis-streams';

/** The transports of NestJS microservices (`Transport.RMQ`, …): each delivers differently. */
export type Transport = 'RMQ' | 'KAFKA' | 'NATS' | 'REDIS' | 'TCP' | 'MQTT' | 'GRPC';

/** A value that depends on the consumer's ack mode: `default`, unless the mode has its own. */
export type ByAckMode<T> = { default: T } & Partial<Record<AckMode, T>>;

export interface LibraryTraits {
  /** What a consumer's `source` names in messages: `topic`, `queue`, `subscription`, `stream`, `pattern`, `source`. */
  sourceNoun: string;
  /** Why the broker delivers a message again: "a crash or a rebalance before the offset is committed makes Kafka deliver it again". */
  redeliveryCause: ByAckMode<string>;
  /** What settling the message means: "the offset is committed", "sqs-consumer deletes the message". */
  settleMeaning: string;
  /** What a failure that reaches the library does: "BullMQ marks the job failed and retries it". */
  failureOutcome: string;
  /** Dead-letter behaviour: where a message goes that keeps failing, or that the handler drops. */
  deadLetter: string;
  /** Set when the library holds unsettled messages instead of retrying them (`unsettled-message`). */
  holdsUnsettled?: HeldUnsettled;
  /** What settling a message a second time does, where that is an error (`double-ack`); absent where it is harmless. */
  secondSettle?: ByAckMode<string>;
  /** For consumers acked on delivery (ack mode `auto-before-handler`): why, and how to ack after the work instead (default: a consumer with explicit acks). */
  autoAck?: { reason: string; remedy?: string };
  /** Settles that drop a message (no requeue, no dead-letter route): what that does, and the call that redelivers instead. */
  drop?: DropSettle;
  /** Kafka consume-transform-produce: the consumed offset can be committed in the producer's transaction (`exactly-once-incomplete`). */
  transactionalOffsets?: boolean;
  /** The code quick-fixes write for this library. */
  code?: LibraryCode;
}

/** How a library holds a message the handler completes without settling. */
export interface HeldUnsettled {
  /**
   * `until-channel-close`: RabbitMQ keeps an unacked message on its channel; `lease-extended`: the
   * client keeps extending its ack deadline; `pending-until-claimed`: it stays in a pending list;
   * `until-returned`: sqs-consumer 14+ deletes only what the handler returns (held when
   * `settlesByReturn` is set), else the message is held only in explicit-ack mode.
   */
  kind: 'until-channel-close' | 'lease-extended' | 'pending-until-claimed' | 'until-returned';
  /** What happens to the message, as a sentence without its final period. */
  explanation: string;
  /** An exception escaping the handler leaves the message held too: who catches it ("Nest"). */
  exceptionCaughtBy?: string;
  /**
   * The library calls the handler with no message when the consumer is cancelled (amqplib's
   * `null`), stated in the docs. The flow treats the side of any null test of the message as
   * having nothing to settle, for every library (handler/flow.ts, messagePresenceTest).
   */
  cancelledWithoutMessage?: boolean;
}

export interface DropSettle {
  /** What the dropping settle does: "terminates the message: JetStream never redelivers it"; `{{queue}}` is the queue, named. */
  explanation: string;
  /** The fix replacing it: its title, and the call (`{{receiver}}` and `{{message}}` are the dropping call's receiver and first argument). */
  redeliver: { title: string; call: string };
}

/** Code templates for the quick-fixes; `{{channel}}`, `{{message}}`, `{{context}}` are filled in from the handler. */
export interface LibraryCode {
  /** How the handler settles a message in code. */
  settle?: SettleCode;
  /** The dedup-guard fix settles through the channel of the registration (`channel.consume(…)`): ack a duplicate, nack one still in progress elsewhere. */
  guardSettlesThroughRegistration?: boolean;
  /** The dedup-guard fix returns the message from the "seen" path (the library deletes only what is returned). */
  guardReturnsMessage?: boolean;
  /** The broker's message ID may be missing: the dedup key falls back to a hash of this property of the message (`content`). */
  identityHashFallback?: string;
  /** The boolean registration option that acks on delivery, which the manual-ack fix sets to false (`noAck`). */
  manualAckOption?: string;
  /** The exactly-once fix can move the offset commit into the producer's transaction. */
  sendOffsetsFix?: boolean;
  /**
   * The broker assigns the message identity per queue (an SQS MessageId): a dedup key is unique
   * without naming the queue. Elsewhere the same identity reaches every consumer group, queue or
   * subscription that gets the message (a Kafka offset, a publisher's messageId, a BullMQ job id
   * counted per queue), so the dedup guard's key names the consumer's group or queue.
   */
  identityUniquePerQueue?: boolean;
}

export interface SettleCode {
  /**
   * `channel`: settled through a channel with the message as argument; the channel and message are
   * copied from a settle the handler already makes (`channel.ack(msg)`), else found as `fallback`
   * says. `message`: a method of the message, the handler's first parameter. `copy`: the handler's
   * own settle call is copied as it is (Redis `xack(stream, group, id)`).
   */
  via: 'channel' | 'message' | 'copy';
  /** Without a settle to copy: the receiver of the registering call and the handler's first parameter (`registration`), or the `@Ctx()` parameter (`nest-context`). */
  fallback?: 'registration' | 'nest-context';
  /** `{{channel}}.ack({{message}})`, `{{message}}.ack()`. */
  ack?: string;
  /** Nack for redelivery. */
  nackRequeue?: string;
  /** Nack without requeue: dead-lettered if the queue has a dead-letter exchange, dropped otherwise. */
  nackDrop?: string;
  /** For `nest-context`: the channel and the message, from the context parameter. */
  contextChannel?: string;
  contextMessage?: string;
}
