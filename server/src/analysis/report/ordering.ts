/**
 * Facts the rules derive from a consumer's paths. Kept in one place so rules that share a handler
 * draw the same boundaries (docs/model.md, "How the rules share a handler").
 */
import { FAILURE_DESTINATION } from '../effects/messaging';
import type {
  ConsumerReport,
  EffectOccurrence,
  GuardOccurrence,
  HandlerPath,
  PathEvent,
  SettleOccurrence,
} from '../../model';

const POSITIVE_SETTLES = new Set<SettleOccurrence['kind']>(['ack', 'commit', 'resolve-offset', 'delete', 'complete']);

export function isPositiveSettle(settle: SettleOccurrence): boolean {
  return POSITIVE_SETTLES.has(settle.kind);
}

/** Index of the first positive settle on a path, or the path length. */
export function firstAckIndex(path: HandlerPath): number {
  const index = path.events.findIndex((event) => event.kind === 'settle' && isPositiveSettle(event.settle));
  return index < 0 ? path.events.length : index;
}

/** Publishing to a dead-letter, retry or failure destination is failure routing (docs/model.md, "Failure routing and handing failures on"). */
export function isFailureRouting(effect: EffectOccurrence): boolean {
  return (
    effect.description.category === 'publish' &&
    !!effect.description.destination &&
    FAILURE_DESTINATION.test(effect.description.destination)
  );
}

export function isUnsafe(effect: EffectOccurrence): boolean {
  return effect.description.class === 'duplicate-unsafe' && !effect.keyedByMessage && !isFailureRouting(effect);
}

/** The guards that count as the handler's identity guard. */
export function validMessageGuards(consumer: ConsumerReport): GuardOccurrence[] {
  return consumer.guards.filter((guard) => guard.scope === 'message' && guard.keyedByIdentity && !guard.invalidReason);
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
  const found = new Map<number, UnprotectedEffect>();
  const isMessageGuardEvent = (event: PathEvent): boolean =>
    (event.kind === 'guard-pass' || event.kind === 'guard-skip') && event.guard.scope === 'message';
  for (const path of consumer.paths) {
    const ackAt = firstAckIndex(path);
    path.events.forEach((event: PathEvent, index) => {
      if (event.kind !== 'effect' || index > ackAt) return;
      if (event.completion !== 'awaited' || event.guarded || !isUnsafe(event.effect)) return;
      // Before the check: the same path reaches the check later. Otherwise the path goes around it.
      const checkLater = path.events.slice(index + 1).some(isMessageGuardEvent);
      const previous = found.get(event.effect.id);
      found.set(event.effect.id, { effect: event.effect, beforeGuard: (previous?.beforeGuard ?? false) || checkLater });
    });
  }
  return [...found.values()].sort((a, b) => a.effect.handlerLocation.start - b.effect.handlerLocation.start);
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

/**
 * Where the message is settled before its processing has completed
 * (docs/rules/ack-before-process.md): acks followed by processing, and processing left running at the ack
 * or, for implicit-after-return consumers, at the handler's return.
 */
export function settledTooEarly(consumer: ConsumerReport): { earlyAcks: EarlyAck[]; unawaited: UnawaitedWork[] } {
  const earlyAcks = new Map<number, { settle: SettleOccurrence; effects: Map<number, EffectOccurrence> }>();
  const unawaited = new Map<string, UnawaitedWork>();
  if (consumer.registration.ackMode === 'auto-before-handler') return { earlyAcks: [], unawaited: [] };
  const implicit = consumer.registration.ackMode === 'implicit-after-return';
  for (const path of consumer.paths) {
    const ackIndex = firstAckIndex(path);
    const ack = path.events[ackIndex];
    const ackSettle = ack && ack.kind === 'settle' ? ack.settle : undefined;
    path.events.forEach((event, index) => {
      if (event.kind !== 'effect' || !event.effect.description.processing) return;
      // A settle inside a transaction (Kafka sendOffsets) commits with what that transaction holds.
      if (ackSettle?.transaction && event.effect.transaction?.id === ackSettle.transaction.id) return;
      if (ackSettle && index > ackIndex) {
        const entry = earlyAcks.get(ackSettle.id) ?? { settle: ackSettle, effects: new Map() };
        entry.effects.set(event.effect.id, event.effect);
        earlyAcks.set(ackSettle.id, entry);
      } else if (event.completion === 'dropped' && (ackSettle || implicit)) {
        const key = `${event.effect.handlerLocation.filePath}:${event.effect.handlerLocation.start}`;
        if (!unawaited.has(key)) unawaited.set(key, { effect: event.effect, beforeAck: ackSettle });
      }
    });
  }
  return {
    earlyAcks: [...earlyAcks.values()].map(({ settle, effects }) => ({ settle, effects: [...effects.values()] })),
    unawaited: [...unawaited.values()],
  };
}
