/**
 * missing-event-id-check: an at-least-once consumer reaches a duplicate-unsafe effect with no
 * check on the message identity, so every redelivery repeats it (docs/rules/missing-event-id-check.md).
 */
import type { ConsumerReport, RelatedLocation } from '../model';
import {
  consumerName,
  effectPhrase,
  effectRelated,
  listPhrases,
  redeliveryCause,
  registrationRelated,
} from './describe';
import { dedupRulesApply, invalidGuards, unprotectedEffects, validMessageGuards } from '../analysis/report/ordering';
import { dedupGuardFixes } from './fixes/dedup-guard';
import { effectLevelFixes } from './fixes/effect-level';
import { Rule, RuleContext, docsUrl } from './rule';

const ID = 'missing-event-id-check';

export const missingEventIdCheck: Rule<'noIdentityCheck' | 'invalidIdentityCheck'> = {
  meta: {
    id: ID,
    defaultSeverity: 'warning',
    description: 'An at-least-once consumer runs a duplicate-unsafe effect without checking the message identity.',
    rationale:
      'At-least-once brokers redeliver after crashes, timeouts and lost acks; without a dedup check on the event ID the handler charges, inserts or emails a second time.',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: [
      'Insert a dedup guard keyed by the message identity (redis, sql or memory strategy)',
      'Make the effect itself idempotent (Stripe idempotencyKey, conflict-ignoring insert, BullMQ jobId, SQS MessageDeduplicationId)',
    ],
    messages: {
      noIdentityCheck:
        'No dedup check before a duplicate-unsafe effect: a redelivered message repeats it. {{consumer}} has no check on the message identity before {{effects}}. ' +
        'Delivery is at-least-once: {{redelivery}}, and the handler then {{consequence}}. Dedup on {{identity}} before these effects.',
      invalidIdentityCheck:
        'The dedup check cannot recognise a redelivery: a redelivered message repeats the effects. {{consumer}} has no check on the message identity before {{effects}}. ' +
        'Delivery is at-least-once: {{redelivery}}, and the handler then {{consequence}}. The check on line {{line}} ({{check}}) does not count: {{reason}}. ' +
        'Dedup on {{identity}} before these effects.',
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (!dedupRulesApply(consumer) || validMessageGuards(consumer).length) return;
    const unprotected = unprotectedEffects(consumer).map((entry) => entry.effect);
    if (!unprotected.length) return;
    const first = unprotected[0];
    const consequence = first.description.onDuplicate ?? `runs ${first.description.label} again`;
    const invalid = invalidGuards(consumer)[0];
    const related: RelatedLocation[] = unprotected.flatMap((effect) =>
      effectRelated(
        effect,
        `${effect.description.label}: ${effect.description.onDuplicate ?? 'not idempotent'} on redelivery`,
      ),
    );
    if (invalid)
      related.push({
        location: invalid.location,
        message: `this check does not recognise a redelivery: ${invalid.invalidReason}`,
      });
    related.push(registrationRelated(consumer));
    const data = {
      consumer: consumerName(consumer),
      effects: listPhrases(unprotected.map(effectPhrase)),
      redelivery: redeliveryCause(consumer),
      consequence,
      identity: consumer.identityHint,
    };
    context.report({
      ...(invalid
        ? {
            messageId: 'invalidIdentityCheck',
            data: {
              ...data,
              line: invalid.location.line,
              check: invalid.label,
              reason: invalid.invalidReason ?? 'its key is not the message identity',
            },
          }
        : { messageId: 'noIdentityCheck', data }),
      location: consumer.handlerLocation,
      related,
      fixes: [
        ...dedupGuardFixes(consumer, context.source, context.config.guardStrategy),
        ...unprotected.flatMap((effect) => effectLevelFixes(consumer, effect, context.source)),
      ],
    });
  },
};
