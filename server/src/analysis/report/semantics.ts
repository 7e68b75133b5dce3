/**
 * Declared versus effective delivery semantics of a consumer (docs/model.md, "Semantics"): what the broker
 * and ack mode promise, and what the handler's code actually achieves, with the reasons.
 */
import type { ConsumerRegistration, ConsumerReport, HeldUnsettled, Semantics } from '../../model';
import { settledTooEarly, unprotectedEffects } from './ordering';

/**
 * How the library holds a message this consumer leaves unsettled, or undefined where it retries
 * it: sqs-consumer 14+ holds what the handler does not return; the others hold only in explicit-ack
 * mode (docs/model.md, "Ack modes"; docs/rules/unsettled-message.md).
 */
export function heldUnsettled(
  registration: Pick<ConsumerRegistration, 'traits' | 'ackMode' | 'settlesByReturn'>,
): HeldUnsettled | undefined {
  const held = registration.traits.holdsUnsettled;
  if (!held) return undefined;
  if (held.kind === 'until-returned') return registration.settlesByReturn === true ? held : undefined;
  return registration.ackMode === 'explicit' ? held : undefined;
}

export interface EffectiveSemantics {
  semantics: Semantics;
  reasons: string[];
}

export function effectiveSemantics(consumer: ConsumerReport): EffectiveSemantics {
  const reasons: string[] = [];
  const unsafe = consumer.effects.filter(
    (effect) => effect.description.class === 'duplicate-unsafe' && !effect.keyedByMessage,
  );
  if (consumer.registration.ackMode === 'auto-before-handler') {
    reasons.push(
      `${consumer.registration.library} acks on delivery (${consumer.registration.form}), before the handler runs: a crash loses the message`,
    );
    return { semantics: 'at-most-once', reasons };
  }
  if (consumer.incomplete) {
    // What the analysis cannot see it does not vouch for: keep what the broker declares.
    reasons.push(
      `the analysis could not follow everything (${consumer.incomplete}), so the effective semantics are not derived`,
    );
    return { semantics: consumer.declaredSemantics, reasons };
  }
  const { earlyAcks, unawaited } = settledTooEarly(consumer);
  for (const early of earlyAcks)
    reasons.push(
      `${early.settle.label} on line ${early.settle.location.line} settles before ${early.effects.length} processing effect(s) complete: a crash after it loses them`,
    );
  for (const work of unawaited)
    reasons.push(`${work.effect.description.label} is not awaited: the message can be settled while it still runs`);
  const duplicated = consumer.incomplete ? [] : unprotectedEffects(consumer);
  for (const { effect } of duplicated)
    reasons.push(
      `${effect.description.label} runs again on redelivery (${effect.description.onDuplicate ?? 'not idempotent'})`,
    );
  if (consumer.vouchedIdempotent) reasons.push(`the handler is vouched idempotent: ${consumer.vouchedIdempotent}`);
  if (consumer.incomplete) reasons.push(`the analysis could not follow everything: ${consumer.incomplete}`);
  if (earlyAcks.length || unawaited.length) return { semantics: 'at-most-once', reasons };
  if (duplicated.length && !consumer.vouchedIdempotent) return { semantics: 'at-least-once', reasons };
  if (!unsafe.length) reasons.push('no duplicate-unsafe effect: a redelivery changes nothing twice');
  else reasons.push(`every duplicate-unsafe effect (${unsafe.length}) is behind a dedup check or keyed by the message`);
  return { semantics: 'effectively-once', reasons };
}
