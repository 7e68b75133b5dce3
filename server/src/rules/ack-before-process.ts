/**
 * ack-before-process: the message is settled before its processing has completed, so a crash
 * after the ack loses it (docs/rules/ack-before-process.md).
 */
import type { ConsumerReport, RelatedLocation } from '../model';
import { consumerName, effectPhrase, effectRelated, listPhrases, registrationRelated, settleMeaning } from './describe';
import { settledTooEarly } from '../analysis/report/ordering';
import { addMissingAwaitFix, moveAckAfterProcessingFix } from './fixes/reorder';
import { Rule, RuleContext, docsUrl } from './rule';

const ID = 'ack-before-process';

export const ackBeforeProcess: Rule<
  'ackBeforeProcessing' | 'unawaitedBeforeAck' | 'unawaitedAtReturn' | 'ackBeforeCommit'
> = {
  meta: {
    id: ID,
    defaultSeverity: 'error',
    description: 'The message is acked, committed or deleted before its processing has completed.',
    rationale:
      'Breaks at-least-once delivery: if the process crashes after the ack, the broker never redelivers the message and its processing is lost (an order never fulfilled, a payment never recorded).',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: ['Move the ack after the processing', 'Add the missing `await`'],
    messages: {
      ackBeforeProcessing:
        'Acked before the processing completed: a crash or failure after the ack loses the message. {{consumer}}: {{settle}} settles the message before {{effects}} {{have}} completed. ' +
        'If the process crashes or the step fails after the ack, the broker will not redeliver it and that work is lost. Settle after the processing succeeds.',
      unawaitedBeforeAck:
        'Work started without await still runs at the ack: a crash or rejection loses the message. {{consumer}}: {{effect}} is started without await, so it has not finished before {{settle}} runs. ' +
        "A crash or a rejection after that point loses the message's processing. Await it (or return it) before the message is settled.",
      unawaitedAtReturn:
        'Work started without await still runs when the handler returns: a crash loses the message. {{consumer}}: {{effect}} is started without await, so it has not finished when the handler returns, {{settled}}. ' +
        "A crash or a rejection after that point loses the message's processing. Await it (or return it) before the message is settled.",
      ackBeforeCommit:
        'Acked inside the transaction, before its commit: a failed commit loses the writes. {{consumer}}: {{settle}} settles the message inside {{transaction}}, before the transaction commits {{effects}}. ' +
        'If the commit fails or the process crashes before it, those writes roll back and the broker will not redeliver the message. Settle after the transaction has committed.',
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (consumer.incomplete) return;
    const { earlyAcks, unawaited, uncommitted } = settledTooEarly(consumer);

    for (const { settle, transaction, effects: list } of uncommitted) {
      const related: RelatedLocation[] = list.flatMap((effect) =>
        effectRelated(effect, `${effect.description.label} is not committed yet at the ack`),
      );
      related.push({
        location: transaction.commit ?? transaction.location,
        message: `${transaction.label} commits when its callback returns, after the ack`,
      });
      if (settle.chain.length)
        related.push({ location: settle.location, message: `${settle.label} settles the message here` });
      related.push(registrationRelated(consumer));
      context.report({
        messageId: 'ackBeforeCommit',
        data: {
          consumer: consumerName(consumer),
          settle: settle.label,
          transaction: transaction.label,
          effects: listPhrases(list.map(effectPhrase)),
        },
        location: settle.handlerLocation,
        related,
      });
    }

    for (const { settle, effects: list } of earlyAcks) {
      const related: RelatedLocation[] = list.flatMap((effect) =>
        effectRelated(effect, `${effect.description.label} runs after the ack`),
      );
      if (settle.chain.length) {
        related.push({ location: settle.location, message: `${settle.label} settles the message here` });
        settle.chain.forEach((link, index) =>
          related.push({
            location: link.location,
            message: `${index === 0 ? 'the handler calls' : 'which calls'} ${link.callee}()`,
          }),
        );
      }
      related.push(registrationRelated(consumer));
      context.report({
        messageId: 'ackBeforeProcessing',
        data: {
          consumer: consumerName(consumer),
          settle: settle.label,
          effects: listPhrases(list.map(effectPhrase)),
          have: list.length > 1 ? 'have' : 'has',
        },
        location: settle.handlerLocation,
        related,
        fixes: moveAckAfterProcessingFix(consumer, settle, list, context.source),
      });
    }

    for (const { effect, beforeAck } of unawaited) {
      const related: RelatedLocation[] = effectRelated(effect, `${effect.description.label} is still running`);
      if (beforeAck) related.push({ location: beforeAck.location, message: 'the ack that does not wait for it' });
      related.push(registrationRelated(consumer));
      context.report({
        ...(beforeAck
          ? {
              messageId: 'unawaitedBeforeAck',
              data: { consumer: consumerName(consumer), effect: effectPhrase(effect), settle: beforeAck.label },
            }
          : {
              messageId: 'unawaitedAtReturn',
              data: {
                consumer: consumerName(consumer),
                effect: effectPhrase(effect),
                settled: settleMeaning(consumer),
              },
            }),
        location: effect.handlerLocation,
        related,
        fixes: addMissingAwaitFix(effect, context.source),
      });
    }
  },
};
