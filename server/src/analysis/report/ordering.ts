/**
 * What the rules derive from a consumer's dataflow facts (analysis/dataflow/facts.ts). Kept in one
 * place so rules that share a handler draw the same boundaries (docs/model.md, "How the rules share
 * a handler").
 */
import type {
  ConsumerReport,
  EffectOccurrence,
  GuardOccurrence,
  SettleOccurrence,
  TransactionScope,
} from '../../model';
import { isIdentityGuard } from '../handler/steps';
import { isPositiveSettle } from '../dataflow/occurrences';
import { isFailureRouting } from '../effects/failure-routing';

export { isFailureRouting, isPositiveSettle };

export function isUnsafe(effect: EffectOccurrence): boolean {
  return effect.description.class === 'duplicate-unsafe' && !effect.keyedByMessage && !isFailureRouting(effect);
}

/** The guards that count as the handler's identity guard. */
export function validMessageGuards(consumer: ConsumerReport): GuardOccurrence[] {
  return consumer.guards.filter((guard) => guard.scope === 'message' && isIdentityGuard(guard));
}

/** Guards that look like dedup checks but do not count (random key, in-memory set). */
export function invalidGuards(consumer: ConsumerReport): GuardOccurrence[] {
  return consumer.guards.filter(
    (guard) => guard.scope === 'message' && (!guard.keyedByIdentity || guard.invalidReason),
  );
}

/** Whether the dedup rules apply at all: redelivering consumers the analysis can fully see. */
export function dedupRulesApply(consumer: ConsumerReport): boolean {
  if (consumer.incomplete || consumer.vouchedIdempotent) return false;
  if (consumer.registration.ackMode === 'auto-before-handler') return false;
  return consumer.declaredSemantics !== 'at-most-once';
}

export interface UnprotectedEffect {
  effect: EffectOccurrence;
  /** It ran before any message-level guard on some path. */
  beforeGuard: boolean;
}

/**
 * Duplicate-unsafe effects that complete before the ack on some path without a valid identity
 * guard having passed (effects after the ack, or left running, belong to ack-before-process).
 */
export function unprotectedEffects(consumer: ConsumerReport): UnprotectedEffect[] {
  return consumer.flow.unprotected
    .filter((run) => isUnsafe(run.effect))
    .map((run) => ({ effect: run.effect, beforeGuard: run.beforeGuard }))
    .sort((a, b) => a.effect.handlerLocation.start - b.effect.handlerLocation.start);
}

export interface EarlyAck {
  settle: SettleOccurrence;
  /** Processing effects that run after it on some path. */
  effects: EffectOccurrence[];
}

export interface UnawaitedWork {
  effect: EffectOccurrence;
  /** The ack it races with; undefined when the library settles on return. */
  beforeAck?: SettleOccurrence;
}

function bySourceOrder(a: EffectOccurrence, b: EffectOccurrence): number {
  return a.handlerLocation.start - b.handlerLocation.start || a.location.start - b.location.start;
}

/** A settle inside a transaction (Kafka `sendOffsets`) commits with what that transaction holds. */
function sameTransaction(settle: SettleOccurrence | undefined, effect: EffectOccurrence): boolean {
  return !!settle?.transaction && effect.transaction?.id === settle.transaction.id;
}

export interface UncommittedAtAck {
  settle: SettleOccurrence;
  /** The callback transaction the ack runs in. */
  transaction: TransactionScope;
  /** Its writes before the ack: durable only when it commits, after the ack. */
  effects: EffectOccurrence[];
}

/**
 * Where the message is settled before its processing has completed
 * (docs/rules/ack-before-process.md): acks followed by processing, processing left running at the ack
 * or, for implicit-after-return consumers, at the handler's return, and acks inside a callback
 * transaction before it commits the writes made in it.
 */
export function settledTooEarly(consumer: ConsumerReport): {
  earlyAcks: EarlyAck[];
  unawaited: UnawaitedWork[];
  uncommitted: UncommittedAtAck[];
} {
  if (consumer.registration.ackMode === 'auto-before-handler') return { earlyAcks: [], unawaited: [], uncommitted: [] };
  const earlyAcks = consumer.flow.afterAck
    .map((run) => ({
      settle: run.settle,
      effects: run.effects.filter((effect) => !sameTransaction(run.settle, effect)).sort(bySourceOrder),
    }))
    .filter((early) => early.effects.length);
  const unawaited = new Map<string, UnawaitedWork>();
  for (const { effect, beforeAck } of consumer.flow.unawaited) {
    if (sameTransaction(beforeAck, effect)) continue;
    const key = `${effect.handlerLocation.filePath}:${effect.handlerLocation.start}`;
    if (!unawaited.has(key)) unawaited.set(key, { effect, beforeAck });
  }
  const uncommitted = consumer.flow.beforeCommit.map((run) => ({
    settle: run.settle,
    transaction: run.transaction,
    effects: [...run.effects].sort(bySourceOrder),
  }));
  return { earlyAcks, unawaited: [...unawaited.values()], uncommitted };
}
