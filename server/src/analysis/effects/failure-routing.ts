/**
 * Handing a failure on (docs: "Handing a failure on"): in a catch, a publish to a dead-letter,
 * retry or failure destination (or of an event about the failure), or a write that records the
 * failure in a store (a `failed` status, an error row, an entity marked inactive).
 */
import type { EffectDescription, EffectOccurrence } from '../../model';
import { FAILURE_DESTINATION } from './messaging';

/**
 * Publishing to a dead-letter, retry or failure destination, and a re-publish counting one more
 * attempt, are failure routing (docs/model.md, "Failure routing and handing failures on").
 */
export function isFailureRouting(effect: { description: EffectDescription }): boolean {
  const { category, destination, failureRouting } = effect.description;
  return category === 'publish' && (!!failureRouting || (!!destination && FAILURE_DESTINATION.test(destination)));
}

/** Effects that write a failure down (a `failed` status, an error row) hand it on, like a dead-letter publish. */
const STORE_CATEGORIES = new Set(['sql', 'orm', 'mongo', 'redis', 'dynamodb', 'firestore', 'search-index', 'config']);

const FAILURE_STATE = /\b(status|state|isActive|active|enabled|disabled|failed|failure|error)\b/i;

/** `text`: the call's source and the names of the calls leading to it. */
export function handsFailureOn(effect: EffectOccurrence, text: string): boolean {
  const { category } = effect.description;
  if (category === 'publish') return isFailureRouting(effect) || FAILURE_DESTINATION.test(text);
  if (STORE_CATEGORIES.has(category)) return FAILURE_DESTINATION.test(text) || FAILURE_STATE.test(text);
  return false;
}
