/**
 * ack-before-process: the message is settled before its processing has completed, so a crash
 * after the ack loses it (RULES.md section 3).
 */
import type { ConsumerReport, EffectOccurrence, RelatedLocation, SettleOccurrence } from '../analysis/model';
import { consumerName, effectPhrase, effectRelated, listPhrases, settleMeaning } from './describe';
import { firstAckIndex } from './facts';
import { addMissingAwaitFix, moveAckAfterProcessingFix } from './fixes/ordering';
import { Rule, RuleContext, docsUrl } from './types';

const ID = 'ack-before-process';

export const ackBeforeProcess: Rule = {
  meta: {
    id: ID,
    defaultSeverity: 'error',
    description: 'The message is acked, committed or deleted before its processing has completed.',
    rationale:
      'Breaks at-least-once delivery: if the process crashes after the ack, the broker never redelivers the message and its processing is lost (an order never fulfilled, a payment never recorded).',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: ['Move the ack after the processing', 'Add the missing `await`'],
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (consumer.registration.ackMode === 'auto-before-handler' || consumer.incomplete) return;
    const earlyAcks = new Map<number, { settle: SettleOccurrence; effects: Map<number, EffectOccurrence> }>();
    const unawaited = new Map<string, { effect: EffectOccurrence; beforeAck?: SettleOccurrence }>();

    for (const path of consumer.paths) {
      const ackIndex = firstAckIndex(path);
      const ack = path.events[ackIndex];
      path.events.forEach((event, index) => {
        if (event.kind !== 'effect' || !event.effect.description.processing) return;
        if (ack && ack.kind === 'settle' && index > ackIndex) {
          const entry = earlyAcks.get(ack.settle.id) ?? { settle: ack.settle, effects: new Map() };
          entry.effects.set(event.effect.id, event.effect);
          earlyAcks.set(ack.settle.id, entry);
        } else if (event.completion === 'dropped') {
          const hasAck = ack && ack.kind === 'settle';
          const implicit = consumer.registration.ackMode === 'implicit-after-return';
          if (!hasAck && !implicit) return;
          const key = `${event.effect.handlerLocation.filePath}:${event.effect.handlerLocation.start}`;
          if (!unawaited.has(key)) unawaited.set(key, { effect: event.effect, beforeAck: hasAck ? ack.settle : undefined });
        }
      });
    }

    for (const { settle, effects } of earlyAcks.values()) {
      const list = [...effects.values()];
      const related: RelatedLocation[] = list.flatMap((effect) => effectRelated(effect, `${effect.description.label} runs after the ack`));
      context.report({
        message:
          `${consumerName(consumer)}: ${settle.label} settles the message before ${listPhrases(list.map(effectPhrase))} ${list.length > 1 ? 'have' : 'has'} completed. ` +
          `If the process crashes or the step fails after the ack, the broker will not redeliver it and that work is lost. Settle after the processing succeeds.`,
        location: settle.handlerLocation,
        related,
        fixes: moveAckAfterProcessingFix(consumer, settle, list, context.fixes),
      });
    }

    for (const { effect, beforeAck } of unawaited.values()) {
      const when = beforeAck ? `before ${beforeAck.label} runs` : `when the handler returns, ${settleMeaning(consumer)}`;
      const related: RelatedLocation[] = effectRelated(effect, `${effect.description.label} is still running`);
      if (beforeAck) related.push({ location: beforeAck.location, message: 'the ack that does not wait for it' });
      context.report({
        message:
          `${consumerName(consumer)}: ${effectPhrase(effect)} is started without await, so it has not finished ${when}. ` +
          `A crash or a rejection after that point loses the message's processing. Await it (or return it) before the message is settled.`,
        location: effect.handlerLocation,
        related,
        fixes: addMissingAwaitFix(effect, context.fixes),
      });
    }
  },
};
