/**
 * Wording shared by the rules' messages, so every finding names its consumer the same way. What a
 * library does is read from its traits (model/library.ts, set by its module in analysis/libraries/):
 * nothing here knows a library by name.
 */
import { heldUnsettled as heldBy } from '../analysis/report/semantics';
import type { ByAckMode, ConsumerReport, EffectOccurrence, HeldUnsettled, RelatedLocation } from '../model';

/** "kafkajs consumer of topic 'orders.placed'" */
export function consumerName(consumer: ConsumerReport): string {
  const { library, source, traits } = consumer.registration;
  return source ? `${library} consumer of ${traits.sourceNoun} '${source}'` : `${library} consumer`;
}

function forAckMode<T>(value: ByAckMode<T>, consumer: ConsumerReport): T {
  return value[consumer.registration.ackMode] ?? value.default;
}

/** Why the broker delivers the message again, for this library and ack mode. */
export function redeliveryCause(consumer: ConsumerReport): string {
  return forAckMode(consumer.registration.traits.redeliveryCause, consumer);
}

/** What settling means for this library, in one phrase ("the offset is committed"). */
export function settleMeaning(consumer: ConsumerReport): string {
  return consumer.registration.traits.settleMeaning;
}

/** What a failure that reaches the library does ("BullMQ marks the job failed and retries it"). */
export function failureOutcome(consumer: ConsumerReport): string {
  return consumer.registration.traits.failureOutcome;
}

/** What settling the message a second time does, or undefined where that is harmless. */
export function secondSettleConsequence(consumer: ConsumerReport): string | undefined {
  const value = consumer.registration.traits.secondSettle;
  return value && forAckMode(value, consumer);
}

/** How the library holds a message this consumer leaves unsettled, or undefined where it retries it. */
export function heldUnsettled(consumer: ConsumerReport): HeldUnsettled | undefined {
  return heldBy(consumer.registration);
}

/**
 * Whether an error thrown out of the handler makes the broker deliver the message again: the
 * library retries a rejected handler, or (explicit acks) the unsettled message times out and comes
 * back. Not where the library holds an unsettled message instead (RabbitMQ until the channel closes,
 * Pub/Sub while it extends the lease): there the failure has to be nacked.
 */
export function thrownFailureRedelivers(consumer: ConsumerReport): boolean {
  const held = heldUnsettled(consumer);
  return !held || held.kind === 'until-returned';
}

/** Why this consumer is acked on delivery, in the library's own terms. */
export function ackOnDelivery(consumer: ConsumerReport): string {
  return (
    consumer.registration.traits.autoAck?.reason ?? `${consumer.registration.library} acks the message on delivery`
  );
}

/** How to make an auto-acked consumer ack after its processing. */
export function autoAckRemedy(consumer: ConsumerReport): string {
  return (
    consumer.registration.traits.autoAck?.remedy ??
    'Use a transport or consumer that acks after the processing (explicit acks), so a message whose handler did not finish is redelivered.'
  );
}

/** A phrase of the traits with its `{{name}}` values filled in. */
export function fillPhrase(phrase: string, values: Record<string, string>): string {
  return phrase.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

export function effectPhrase(effect: EffectOccurrence): string {
  const via = effect.chain.length ? ` (via ${effect.chain.map((link) => `${link.callee}()`).join(' → ')})` : '';
  return `${effect.description.label}${via}`;
}

/** Related locations for an effect: the effect itself and each call that leads to it. */
export function effectRelated(effect: EffectOccurrence, what: string): RelatedLocation[] {
  const related: RelatedLocation[] = [{ location: effect.location, message: what }];
  effect.chain.forEach((link, index) => {
    related.push({
      location: link.location,
      message: `${index === 0 ? 'the handler calls' : 'which calls'} ${link.callee}()`,
    });
  });
  return related;
}

export function listPhrases(items: string[], max = 3): string {
  const shown = items.slice(0, max);
  const rest = items.length - shown.length;
  const joined =
    shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}` : (shown[0] ?? '');
  return rest > 0 ? `${joined} (and ${rest} more)` : joined;
}

/** The consumer's registration, as a related location every finding carries. */
export function registrationRelated(consumer: ConsumerReport): RelatedLocation {
  const { library, ackMode, form } = consumer.registration;
  return { location: consumer.registration.location, message: `registered with ${library} ${form} (${ackMode})` };
}
