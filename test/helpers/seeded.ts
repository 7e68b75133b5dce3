/**
 * Seeded randomness and half-typed code, for the runs that edit code at random (the fuzzed
 * examples in test/robustness, `npm run soak`): the same seed gives the same run, so a failure
 * can be repeated.
 */

/** mulberry32: small, seeded, good enough to pick offsets and edits. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a keystroke leaves in the middle of a statement: unbalanced brackets, open strings. */
export const HALF_TYPED = ['await (', 'if (', '{', '}', '`${', "'", 'try {', '} catch (', '=>', '/*', ';;'];
