/** The rule catalogue. Each rule's file holds its metadata; everything else reads it from here. */
import { ackBeforeProcess } from './ack-before-process';
import { missingEventIdCheck } from './missing-event-id-check';
import { nonIdempotentHandler } from './non-idempotent-handler';
import type { Rule } from './types';

export type { Rule, RuleMeta } from './types';

export const allRules: readonly Rule[] = [ackBeforeProcess, missingEventIdCheck, nonIdempotentHandler];

export function ruleById(id: string): Rule | undefined {
  return allRules.find((rule) => rule.meta.id === id);
}
