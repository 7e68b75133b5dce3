/**
 * What the analysis finds in a handler (docs/model.md, "Effects", "Guards", "Order"): effects,
 * settles and guards, each once per place and call chain, and the control-flow paths through the
 * handler as ordered lists of them.
 */
import type { CallChainLink, SourceLocation } from './location';

/** How an effect behaves when a message is delivered twice. */
export type EffectClass =
  'duplicate-unsafe' | 'idempotent' | 'ack' | 'dedup-check' | 'dedup-record' | 'read' | 'unknown';

export interface EffectDescription {
  class: EffectClass;
  /** Short human label: "Stripe charges.create", "INSERT into orders", "POST https://…". */
  label: string;
  /** What a second run of it does, in production terms: "charges the card a second time". */
  onDuplicate?: string;
  /** Which catalogue entry recognised it, for docs and debugging. */
  category: EffectCategory;
  /** True for state changes and external calls (docs/model.md, "Effects"). */
  processing: boolean;
  /** True when the call completes synchronously (appendFileSync); most effects are promises. */
  synchronous?: boolean;
  /** Effect-level fix that would make it idempotent, when one exists. */
  effectFix?: EffectFixKind;
  /** For publishes: the queue, topic or exchange written to, when static (failure routing reads it). */
  destination?: string;
  /** For publishes: a retry (one more attempt counted), failure routing whatever the destination. */
  failureRouting?: boolean;
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
  /** A cache fill (docs/model.md, "Effects"): not processing, but the handler's work going on. */
  | 'cache'
  /** A cloud API that creates or starts something (AWS SDK `RunTask`, `StartExecution`, `Invoke`). */
  | 'cloud'
  | 'config'
  | 'log';

export type EffectFixKind =
  'stripe-idempotency-key' | 'conflict-ignoring-insert' | 'bullmq-job-id' | 'sqs-deduplication-id';

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
  /** The database (or Kafka) transaction the call runs in, when one is recognised (analysis/handler/transactions.ts). */
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
  /** The key is derived from the message identity (docs/model.md, "Message identity"); otherwise it guards nothing. */
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

/** How a path leaves the handler, with what it did before: one per exit and typestate (analysis/dataflow/facts.ts). */
export interface WitnessedExit {
  exit: 'end' | 'return' | 'throw';
  /** The return/throw/continue/break statement; absent when the path falls off the end. */
  location?: SourceLocation;
  /** The handler returns a message-derived value (sqs-consumer 14+ deletes what is returned). */
  returnsMessage: boolean;
  /** Some settle ran on the path. */
  settled: boolean;
  hasEvents: boolean;
  /** The last catch the path went through. */
  lastCaught?: { location: SourceLocation; enclosesProcessing: boolean };
  /** A call on the path could not be followed (why): it may have settled the message. */
  unknown?: string;
  /** The message itself was handed to code the analysis does not see (why): it may be settled there. */
  handedOff?: string;
  /**
   * The path falls off the end right after a call into a project function that returned (by a
   * `return` or its end) with nothing after it: the handler's call that led there, and its callee.
   */
  via?: { location: SourceLocation; callee: string };
  /** The events of one such path. */
  witness: PathEvent[];
}

/** A failure of the processing caught on some path, and what the path then did with the message. */
export interface FailureOutcome {
  /** The catch (its `catch` keyword) that decides: the outermost one the failure reached. */
  caught: SourceLocation;
  /** The first settle after the catch, unless the failure was handed on first. */
  settle?: SettleOccurrence;
  exit: { exit: 'end' | 'return' | 'throw'; location?: SourceLocation; returnsMessage: boolean };
  witness: PathEvent[];
}

/**
 * What the dataflow over the handler established (analysis/dataflow/facts.ts), each an "on some
 * path" statement naming the occurrences it is about, most with a witness path. Rules read these,
 * never the paths.
 */
export interface FlowFacts {
  /** Awaited effects that run before the ack with no valid message guard passed (not yet filtered to unsafe ones). */
  unprotected: { effect: EffectOccurrence; beforeGuard: boolean; witness: PathEvent[] }[];
  /** Processing effects that run after the first ack of a path. */
  afterAck: { settle: SettleOccurrence; effects: EffectOccurrence[]; witness: PathEvent[] }[];
  /** Processing effects started without await before the ack (or the implicit ack on return). */
  unawaited: { effect: EffectOccurrence; beforeAck?: SettleOccurrence }[];
  /**
   * Acks inside a callback transaction, before it commits: the database writes it holds that ran
   * before the ack are not durable yet at the ack.
   */
  beforeCommit: {
    settle: SettleOccurrence;
    transaction: TransactionScope;
    effects: EffectOccurrence[];
    witness: PathEvent[];
  }[];
  /**
   * Identity checks with the awaited effects charged to them (run on their "new" side, before the
   * ack, with no atomic guard passed), and every write after them.
   */
  checks: { guard: GuardOccurrence; effects: EffectOccurrence[]; writesAfter: EffectOccurrence[] }[];
  /** Claims that passed: the effects after them before the ack, and those on a failure path after them. */
  claims: { guard: GuardOccurrence; work: EffectOccurrence[]; onFailurePath: EffectOccurrence[] }[];
  /** A settle after a different first settle on the same path. */
  secondSettles: { settle: SettleOccurrence; first: SettleOccurrence; witness: PathEvent[] }[];
  /** Settles that are the only (distinct) settle of some path. */
  soleSettles: SettleOccurrence[];
  /** Paths that throw after their first settle, a positive one. */
  settlesBeforeThrow: { settle: SettleOccurrence; exitLocation?: SourceLocation }[];
  /** Awaited processing effects before the first settle of a path that settles. */
  escapeCandidates: EffectOccurrence[];
  failures: FailureOutcome[];
  exits: WitnessedExit[];
  /** Why calls could not be followed (depth): the consumer is partial, not incomplete. */
  unknown: string[];
}
