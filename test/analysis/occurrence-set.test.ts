/**
 * The facts walk's sets of occurrences (dataflow/occurrence-set.ts): bitsets over a registry's ids
 * that behave as immutable sets, iterate in id order, and give back an operand itself when an
 * operation changes nothing (the walk compares sets by identity to know a state is unchanged).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OccurrenceUniverse, type OccurrenceSet } from '../../server/src/analysis/dataflow/occurrence-set';

interface Item {
  readonly id: number;
}

/** Items 1..count, as a registry numbers its occurrences. */
const ITEMS: Item[] = Array.from({ length: 200 }, (_, index) => ({ id: index + 1 }));
const item = (id: number): Item => ITEMS[id - 1];

function setOf(universe: OccurrenceUniverse<Item>, ids: number[]): OccurrenceSet<Item> {
  return ids.reduce((set, id) => set.with(item(id)), universe.empty);
}

const idsOf = (set: OccurrenceSet<Item>): number[] => [...set].map((member) => member.id);

describe('occurrence sets', () => {
  test('adding keeps the set it was added to, and gives back the set itself for a member', () => {
    const universe = new OccurrenceUniverse<Item>();
    const one = universe.of(item(5));
    const two = one.with(item(40));
    assert.deepEqual(idsOf(one), [5]);
    assert.deepEqual(idsOf(two), [5, 40]);
    assert.equal(two.size, 2);
    assert.ok(two.has(item(40)) && !one.has(item(40)) && !two.has(item(6)));
    assert.equal(two.with(item(5)), two);
    assert.equal(universe.empty.size, 0);
    assert.deepEqual(idsOf(universe.empty), []);
  });

  test('ids on both sides of every word boundary, iterated in id order', () => {
    const ids = [200, 1, 31, 32, 33, 63, 64, 65, 96, 127, 128];
    const set = setOf(new OccurrenceUniverse<Item>(), ids);
    assert.deepEqual(
      idsOf(set),
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(set.size, ids.length);
    for (const id of ids) assert.ok(set.has(item(id)), `has ${id}`);
    for (const id of [2, 30, 34, 62, 66, 199]) assert.ok(!set.has(item(id)), `not ${id}`);
  });

  test('a union that adds nothing is an operand itself', () => {
    const universe = new OccurrenceUniverse<Item>();
    const small = setOf(universe, [3, 70]);
    const large = small.with(item(150));
    assert.equal(large.union(small), large);
    assert.equal(small.union(large), large);
    assert.equal(small.union(universe.empty), small);
    assert.equal(universe.empty.union(small), small);
    assert.equal(small.union(setOf(universe, [70, 3])), small, 'equal members, another object');
  });

  test('two paths that each added their own effect merge into both', () => {
    const universe = new OccurrenceUniverse<Item>();
    const shared = setOf(universe, [1, 2, 3]);
    const left = shared.with(item(33));
    const right = shared.with(item(120));
    const both = left.union(right);
    assert.deepEqual(idsOf(both), [1, 2, 3, 33, 120]);
    assert.equal(both.size, 5);
    assert.deepEqual(idsOf(right.union(left)), idsOf(both));
    assert.deepEqual(idsOf(left), [1, 2, 3, 33], 'the operands are unchanged');
  });

  test('removing what a predicate names, and the set itself when it names nothing', () => {
    const universe = new OccurrenceUniverse<Item>();
    const set = setOf(universe, [2, 32, 64, 90]);
    const even = set.without((member) => member.id % 64 === 0);
    assert.deepEqual(idsOf(even), [2, 32, 90]);
    assert.equal(even.size, 3);
    assert.deepEqual(idsOf(set), [2, 32, 64, 90]);
    assert.equal(
      set.without(() => false),
      set,
    );
    assert.equal(set.without(() => true).size, 0);
  });

  test('any sequence of additions, unions and removals agrees with a hash set', () => {
    // A fixed pseudo-random sequence (a linear congruential generator): the same cases every run.
    let seed = 12345;
    const next = (bound: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % bound;
    };
    const universe = new OccurrenceUniverse<Item>();
    const sets: { bits: OccurrenceSet<Item>; hash: Set<number> }[] = [{ bits: universe.empty, hash: new Set() }];
    for (let round = 0; round < 2000; round++) {
      const from = sets[next(sets.length)];
      const operation = next(3);
      let made: { bits: OccurrenceSet<Item>; hash: Set<number> };
      if (operation === 0) {
        const id = next(ITEMS.length) + 1;
        made = { bits: from.bits.with(item(id)), hash: new Set([...from.hash, id]) };
      } else if (operation === 1) {
        const other = sets[next(sets.length)];
        made = { bits: from.bits.union(other.bits), hash: new Set([...from.hash, ...other.hash]) };
      } else {
        const modulus = next(7) + 2;
        made = {
          bits: from.bits.without((member) => member.id % modulus === 0),
          hash: new Set([...from.hash].filter((id) => id % modulus !== 0)),
        };
      }
      assert.deepEqual(
        idsOf(made.bits),
        [...made.hash].sort((a, b) => a - b),
        `round ${round}`,
      );
      assert.equal(made.bits.size, made.hash.size, `size, round ${round}`);
      sets.push(made);
    }
  });
});
