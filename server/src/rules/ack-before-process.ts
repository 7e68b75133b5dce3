/**
 * ack-before-process: the message is settled before its processing has completed, so a crash
 * after the ack loses it (RULES.md section 3).
 */
import type { ConsumerReport, RelatedLocation } from '../model';
import { consumerName, effectPhrase, effectRelated, listPhrases, registrationRelated, settleMeaning } from './describe';
import { settledTooEarly } from '../analysis/report/ordering';
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
    if (consumer.incomplete) return;
    const { earlyAcks, unawaited } = settledTooEarly(consumer);

    for (const { settle, effects: list } of earlyAcks) {
      const related: RelatedLocation[] = list.flatMap((effect) => effectRelated(effect, `${effect.description.label} runs after the ack`));
      if (settle.chain.length) {
        related.push({ location: settle.location, message: `${settle.label} settles the message here` });
        settle.chain.forEach((link, index) => related.push({ location: link.location, message: `${index === 0 ? 'the handler calls' : 'which calls'} ${link.callee}()` }));
      }
      related.push(registrationRelated(consumer));
      context.report({
        message:
          `${consumerName(consumer)}: ${settle.label} settles the message before ${listPhrases(list.map(effectPhrase))} ${list.length > 1 ? 'have' : 'has'} completed. ` +
          `If the process crashes or the step fails after the ack, the broker will not redeliver it and that work is lost. Settle after the processing succeeds.`,
        location: settle.handlerLocation,
        related,
        fixes: moveAckAfterProcessingFix(consumer, settle, list, context.source),
      });
    }

    for (const { effect, beforeAck } of unawaited) {
      const when = beforeAck ? `before ${beforeAck.label} runs` : `when the handler returns, ${settleMeaning(consumer)}`;
      const related: RelatedLocation[] = effectRelated(effect, `${effect.description.label} is still running`);
      if (beforeAck) related.push({ location: beforeAck.location, message: 'the ack that does not wait for it' });
      related.push(registrationRelated(consumer));
      context.report({
        message:
          `${consumerName(consumer)}: ${effectPhrase(effect)} is started without await, so it has not finished ${when}. ` +
          `A crash or a rejection after that point loses the message's processing. Await it (or return it) before the message is settled.`,
        location: effect.handlerLocation,
        related,
        fixes: addMissingAwaitFix(effect, context.source),
      });
    }
  },
};
