/**
 * non-idempotent-handler: the handler checks the message identity, but a duplicate-unsafe effect
 * escapes that check (it runs before it, or on a path around it) (docs/rules/non-idempotent-handler.md).
 */
import type { ConsumerReport } from '../model';
import { consumerName, effectPhrase, effectRelated, redeliveryCause, registrationRelated } from './describe';
import { dedupRulesApply, unprotectedEffects, validMessageGuards } from '../analysis/report/ordering';
import { effectLevelFixes } from './fixes/effect-level';
import { moveUnderGuardFix } from './fixes/reorder';
import { Rule, RuleContext, docsUrl } from './rule';

const ID = 'non-idempotent-handler';

export const nonIdempotentHandler: Rule<'effectBeforeCheck' | 'effectBypassesCheck'> = {
  meta: {
    id: ID,
    defaultSeverity: 'warning',
    description: "A duplicate-unsafe effect escapes the handler's dedup check.",
    rationale:
      'The dedup check only protects what runs after it on the same path; an effect before it, or on a branch around it, repeats on every redelivery.',
    docsUrl: docsUrl(ID),
    fixable: 'suggestion',
    fixes: [
      'Move the effect under the guard',
      'Make the effect itself idempotent (Stripe idempotencyKey, conflict-ignoring insert, BullMQ jobId, SQS MessageDeduplicationId)',
    ],
    messages: {
      effectBeforeCheck:
        'A duplicate-unsafe effect runs before the dedup check: a redelivered message repeats it. {{consumer}}: {{effect}} runs before the dedup check ({{check}}, line {{line}}). {{redelivery}}, and then it {{consequence}} even though the check skips the rest.',
      effectBypassesCheck:
        'A duplicate-unsafe effect bypasses the dedup check: a redelivered message repeats it. {{consumer}}: {{effect}} runs on a path that bypasses the dedup check ({{check}}, line {{line}}). {{redelivery}}, and then it {{consequence}} even though the check skips the rest.',
    },
  },

  check(consumer: ConsumerReport, context: RuleContext): void {
    if (!dedupRulesApply(consumer)) return;
    const [guard] = validMessageGuards(consumer);
    if (!guard) return;
    for (const { effect, beforeGuard } of unprotectedEffects(consumer)) {
      context.report({
        messageId: beforeGuard ? 'effectBeforeCheck' : 'effectBypassesCheck',
        data: {
          consumer: consumerName(consumer),
          effect: effectPhrase(effect),
          check: guard.label,
          line: guard.location.line,
          redelivery: capitalize(redeliveryCause(consumer)),
          consequence: effect.description.onDuplicate ?? 'runs again',
        },
        location: effect.handlerLocation,
        related: [
          ...effectRelated(effect, `${effect.description.label} is not protected`),
          { location: guard.location, message: 'the dedup check it escapes' },
          registrationRelated(consumer),
        ],
        fixes: [
          ...(beforeGuard ? moveUnderGuardFix(consumer, effect, guard, context.source) : []),
          ...effectLevelFixes(consumer, effect, context.source),
        ],
      });
    }
  },
};

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
