/** The rule catalogue. Each rule's file holds its metadata; everything else reads it from here. */
import { ackBeforeProcess } from './ack-before-process';
import { atMostOnceConsumer } from './at-most-once-consumer';
import { doubleAck } from './double-ack';
import { exactlyOnceIncomplete } from './exactly-once-incomplete';
import { missingEventIdCheck } from './missing-event-id-check';
import { nonAtomicDedup } from './non-atomic-dedup';
import { nonIdempotentHandler } from './non-idempotent-handler';
import { producerMissingEventId } from './producer-missing-event-id';
import { swallowedFailureAck } from './swallowed-failure-ack';
import { unsettledMessage } from './unsettled-message';
import type { Rule } from './rule';

export type { Rule, RuleMeta } from './rule';

export const allRules: readonly Rule[] = [
  ackBeforeProcess,
  missingEventIdCheck,
  nonIdempotentHandler,
  nonAtomicDedup,
  atMostOnceConsumer,
  swallowedFailureAck,
  unsettledMessage,
  doubleAck,
  producerMissingEventId,
  exactlyOnceIncomplete,
];

export function ruleById(id: string): Rule | undefined {
  return allRules.find((rule) => rule.meta.id === id);
}
