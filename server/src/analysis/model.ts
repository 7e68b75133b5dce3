/**
 * The delivery model of RULES.md section 2: consumers, their ack mode and message identity,
 * the effects their handlers reach, the guards that protect them, and findings.
 * Everything here is plain data so the CLI, the language server and tests share it.
 */

import type { CrashTimeline } from './timeline';

export type AckMode = 'explicit' | 'implicit-after-return' | 'auto-before-handler';

export type Semantics = 'at-most-once' | 'at-least-once' | 'effectively-once' | 'exactly-once';

export type FindingSeverity = 'error' | 'warning' | 'info';
export type ConfiguredSeverity = FindingSeverity | 'off';

/** A source range. Lines and columns are 1-based (ESLint style); offsets are 0-based. */
export interface SourceLocation {
  filePath: string;
  start: number;
  end: number;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface RelatedLocation {
  location: SourceLocation;
  message: string;
}

/** How an effect behaves when a message is delivered twice. */
export type EffectClass =
  | 'duplicate-unsafe'
  | 'idempotent'
  | 'ack'
  | 'dedup-check'
  | 'dedup-record'
  | 'read'
  | 'unknown';

export interface EffectDescription {
  class: EffectClass;
  /** Short human label: "Stripe charges.create", "INSERT into orders", "POST https://…". */
  label: string;
  /** What a second run of it does, in production terms: "charges the card a second time". */
  onDuplicate?: string;
  /** Which catalogue entry recognised it, for docs and debugging. */
  category: EffectCategory;
  /** True for state changes and external calls (RULES.md 3a "processing effects"). */
  processing: boolean;
  /** True when the call completes synchronously (appendFileSync); most effects are promises. */
  synchronous?: boolean;
  /** Effect-level fix that would make it idempotent, when one exists. */
  effectFix?: EffectFixKind;
  /** For publishes: the queue, topic or exchange written to, when static (failure routing reads it). */
  destination?: string;
}

export type EffectCategory =
  | 'sql'
  | 'orm'
  | 'mongo'
  | 'redis'
  | 'dynamodb'
  | 'firestore'
  | 'http'
  | 'email'
  | 'payment'
  | 'publish'
  | 'file'
  | 'search-index'
  | 'config'
  | 'log';

export type EffectFixKind =
  | 'stripe-idempotency-key'
  | 'conflict-ignoring-insert'
  | 'bullmq-job-id'
  | 'sqs-deduplication-id';

/** One step of a call chain from the handler to an effect found in another function or file. */
export interface CallChainLink {
  location: SourceLocation;
  /** Name of the function entered at this call. */
  callee: string;
}

export interface EffectOccurrence {
  id: number;
  description: EffectDescription;
  /** The call in the function where the effect happens. */
  location: SourceLocation;
  /** Calls from the handler down to the function holding the effect (empty when direct). */
  chain: CallChainLink[];
  /** The call inside the handler that leads to the effect (the effect itself when direct). */
  handlerLocation: SourceLocation;
  /** True when the effect's own key (idempotencyKey, jobId, primary key…) comes from the message. */
  keyedByMessage: boolean;
  /** Source text of the call's first argument (a Redis key, a table), to match claims and releases. */
  keyText?: string;
  /** The database (or Kafka) transaction the call runs in, when one is recognised (transactions.ts). */
  transaction?: TransactionScope;
}

export interface SettleOccurrence {
  id: number;
  /** ack/commit/delete are positive; nack/reject/abandon return the message. */
  kind: 'ack' | 'nack' | 'reject' | 'commit' | 'resolve-offset' | 'delete' | 'complete' | 'dead-letter' | 'term';
  label: string;
  location: SourceLocation;
  chain: CallChainLink[];
  handlerLocation: SourceLocation;
  /** For nack/reject: whether the broker requeues the message (amqplib's default is true). */
  requeue?: boolean;
  /** A settle inside a transaction (Kafka `sendOffsets`) takes effect when that transaction commits. */
  transaction?: TransactionScope;
}

export type GuardKind = 'claim' | 'check' | 'wrapper';

export interface GuardOccurrence {
  id: number;
  kind: GuardKind;
  label: string;
  location: SourceLocation;
  /** The key is derived from the message identity (RULES.md 3a); otherwise it guards nothing. */
  keyedByIdentity: boolean;
  /**
   * `message`: its "seen" outcome skips the processing of the message (the handler's guard);
   * `entity`: it only gates one write inside larger processing (get-or-create).
   */
  scope: 'message' | 'entity';
  /** Why a guard does not count: "in-memory Set", "key made fresh with randomUUID()". */
  invalidReason?: string;
  chain: CallChainLink[];
  handlerLocation: SourceLocation;
  /** Source text of the guard's key, to match the record and the release of the same key. */
  keyText?: string;
  /** For claims with an expiry (Redis SET NX EX n): the lease in seconds. */
  leaseSeconds?: number;
  /** The transaction the claim is made in (the inbox pattern: the effects' own transaction). */
  transaction?: TransactionScope;
}

/** A transaction: what runs in it is undone by a crash before it commits. */
export interface TransactionScope {
  /** Same id, same transaction. */
  id: string;
  label: string;
  /** Where it begins (`BEGIN`, the `$transaction(…)` call). */
  location: SourceLocation;
  /** Where it commits (`COMMIT`, the end of the `$transaction(…)` call), when found. */
  commit?: SourceLocation;
}

/** Events along one control-flow path through a handler, in execution order. */
export type PathEvent =
  | { kind: 'effect'; effect: EffectOccurrence; completion: 'awaited' | 'dropped'; guarded: boolean }
  | { kind: 'settle'; settle: SettleOccurrence; completion: 'awaited' | 'dropped' }
  | { kind: 'guard-pass'; guard: GuardOccurrence }
  | { kind: 'guard-skip'; guard: GuardOccurrence }
  /** A failure was caught: the path entered a `catch` of a try (which encloses processing effects or not). */
  | { kind: 'caught'; location: SourceLocation; enclosesProcessing: boolean };

export interface HandlerPath {
  events: PathEvent[];
  /** How the path leaves the handler. */
  exit: 'return' | 'throw' | 'end';
  exitLocation?: SourceLocation;
  /** The handler returns a message-derived value (sqs-consumer 14+ deletes what is returned). */
  returnsMessage?: boolean;
}

export interface ConsumerRegistration {
  library: string;
  libraryDisplayName: string;
  /** Queue, topic or subscription name when it is a static string. */
  source?: string;
  /** The registering call (consumer.run, channel.consume, Consumer.create…). */
  location: SourceLocation;
  /** The option or bootstrap that decides the ack mode, when there is one. */
  ackModeLocation?: SourceLocation;
  ackMode: AckMode;
  /** Form of registration: "eachMessage", "eachBatch", "consume", "handleMessage"… */
  form: string;
  /** For consumers registered through a wrapper: where the wrapper registers with the library. */
  wrapperLocation?: SourceLocation;
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
  effects: EffectOccurrence[];
  settles: SettleOccurrence[];
  guards: GuardOccurrence[];
  paths: HandlerPath[];
  /** Set when the analysis could not see the whole handler; rules stay quiet then. */
  incomplete?: string;
  /** `/** @idempotent reason *\/` on the handler. */
  vouchedIdempotent?: string;
  /** `/** @delivery at-most-once *\/` on the handler, or config by queue/topic. */
  declaredSemanticsOverride?: Semantics;
  declaredSemantics: Semantics;
  /** What the code achieves (RULES.md section 2), with the reasons. */
  effectiveSemantics: Semantics;
  semanticsReasons: string[];
  /** What a crash or an error between two steps of the main path does (timeline.ts). */
  timeline?: CrashTimeline;
}

export interface TextEdit {
  filePath: string;
  start: number;
  end: number;
  newText: string;
}

export interface FixSuggestion {
  title: string;
  /** Safe fixes do not change behaviour and may be applied by fix-all. */
  safe: boolean;
  preferred?: boolean;
  edits: TextEdit[];
}

export interface Finding {
  ruleId: string;
  severity: FindingSeverity;
  message: string;
  location: SourceLocation;
  related: RelatedLocation[];
  consumerId: string;
  fixes: FixSuggestion[];
}

export interface FileProblem {
  filePath: string;
  message: string;
}

export interface AnalysisResult {
  consumers: ConsumerReport[];
  findings: Finding[];
  /** Files that could not be read or analysed, with the reason (never a crash). */
  problems: FileProblem[];
  /** Files that were linted (after the prefilter, those touching a broker). */
  filesLinted: string[];
  /** Files the prefilter selected for deep analysis. */
  filesAnalyzed: number;
  /** Wrapper functions whose callers were not among the analysed files (a second pass adds them). */
  unresolvedWrappers?: { name: string; filePath: string }[];
}
