/**
 * A consumer (docs/model.md): a handler plus the library that calls it, with everything the
 * analysis knows about it. The consumer report is plain data: the rules read it, the CLI prints it,
 * the language server sends it to the explainer panel.
 */
import type { CrashTimeline } from './crash-timeline';
import type { AckMode, Semantics } from './delivery';
import type { LibraryId, LibraryTraits, Transport } from './library';
import type { SourceLocation, TextEdit } from './location';
import type { EffectOccurrence, FlowFacts, GuardOccurrence, HandlerPath, SettleOccurrence } from './occurrences';

export interface ConsumerRegistration {
  library: LibraryId;
  libraryDisplayName: string;
  /** The library's package the registering file imports (`amqplib`, not "amqplib (+ amqp-connection-manager)"), for labels. */
  packageName?: string;
  /** What the library does with a message (docs/model.md, "Per-library behaviour"); for NestJS, its transport's. */
  traits: LibraryTraits;
  /** NestJS microservices: the transport the handler is served over, when known. */
  transport?: Transport;
  /** Queue, topic or subscription name when it is a static string. */
  source?: string;
  /** The registering call (consumer.run, channel.consume, Consumer.create…). */
  location: SourceLocation;
  /** The option or bootstrap that decides the ack mode, when there is one. */
  ackModeLocation?: SourceLocation;
  ackMode: AckMode;
  /** Form of registration, for display only: "eachMessage", "eachBatch", "consume", "EventPattern (RMQ)"… */
  form: string;
  /** The handler receives a batch of messages (kafkajs `eachBatch`, sqs-consumer `handleMessageBatch`). */
  batch?: boolean;
  /** A request/reply handler (NestJS `@MessagePattern`): its caller waits for the answer. */
  requestReply?: boolean;
  /** For consumers registered through a wrapper: where the wrapper registers with the library. */
  wrapperLocation?: SourceLocation;
  /**
   * The handler is registered by code outside the project (an installed package's function it was
   * handed: "`subscribe` of @acme/events"); its options, and any settle it makes, are unseen.
   */
  outside?: string;
  /** The library settles only what the handler returns (sqs-consumer 14+). */
  settlesByReturn?: boolean;
  /**
   * Whether a message the handler drops (amqplib `nack(m, false, false)`) is dead-lettered: a
   * dead-letter exchange is declared for the queue somewhere in the project. Undefined: not known.
   */
  deadLetterRoute?: boolean;
}

export interface ConsumerReport {
  id: string;
  registration: ConsumerRegistration;
  handlerName: string;
  /** The handler function's head (name or parameter list) where handler findings go. */
  handlerLocation: SourceLocation;
  handlerRange: SourceLocation;
  /** Identity expressions the library offers for dedup (message.offset, msg.properties.messageId…). */
  identityHint: string;
  /** Expression (as text in the handler) for the message identity, used by quick-fixes. */
  identityExpression?: string;
  /** An edit that binds the names `identityExpression` uses (kafkajs: add `topic, partition`). */
  identityBinding?: TextEdit;
  /**
   * What a dedup key names besides the identity so two consumers of the same message do not skip
   * each other's (docs/model.md, "Message identity"): the text of a template literal (the Kafka
   * consumer group, the queue, `${job.queueName}`); empty where the identity is unique per queue
   * already; undefined where the consumer's group or queue is not known (no dedup-guard fix).
   */
  dedupScope?: string;
  effects: EffectOccurrence[];
  settles: SettleOccurrence[];
  guards: GuardOccurrence[];
  /** Concrete paths for the crash timeline: a sample when the handler has very many, none when no timeline was asked for. */
  paths: HandlerPath[];
  /** `paths` is a sample of the handler's paths. */
  pathsSampled?: boolean;
  /** What the dataflow over the handler established; the rules read this. */
  flow: FlowFacts;
  /**
   * Calls the analysis could not follow (too deep): what they do is unseen. The findings whose
   * evidence is complete are still reported; those that could depend on the unseen part are not.
   */
  partial?: string[];
  /** Set when the analysis could not see the whole handler; rules stay quiet then. */
  incomplete?: string;
  /** `/** @idempotent reason *\/` on the handler. */
  vouchedIdempotent?: string;
  /** `/** @delivery at-most-once *\/` on the handler, or config by queue/topic. */
  declaredSemanticsOverride?: Semantics;
  declaredSemantics: Semantics;
  /** What the code achieves (docs/model.md, "Semantics"), with the reasons. */
  effectiveSemantics: Semantics;
  semanticsReasons: string[];
  /** What a crash or an error between two steps of the main path does (analysis/report/derive-timeline.ts). */
  timeline?: CrashTimeline;
  /**
   * The files whose code the analysis of this consumer read: the registration's, the handler's and
   * those of every function it followed. The server re-analyses the consumer when one of them changes.
   */
  files?: string[];
}

/** What the analysis keeps for the rules and the timeline, and never sends out (JSON, LSP, panel). */
export type InternalReportFields = 'paths' | 'pathsSampled' | 'flow' | 'files';

/** A consumer report as it leaves the analyzer: plain data without the per-path internals. */
export type PublicConsumerReport = Omit<ConsumerReport, InternalReportFields>;
