/**
 * Immutable sets of one walk's occurrences, as bitsets over their ids (a registry numbers its
 * occurrences 1, 2, 3, …). The facts walk carries a few such sets on every path (the unguarded
 * effects, the un-awaited ones, the checks passed): a path adds one occurrence at a time and paths
 * merge at every join. As hash sets, each addition copied the whole set, and the copies were a
 * quarter of what the walk allocated on amplication's largest handler; a bitset copies a few words.
 *
 * Iteration is in id order, which is the order the walk first met the occurrences.
 */

/** The occurrences of one walk by id: what a set's bits stand for. */
export class OccurrenceUniverse<T extends { readonly id: number }> {
  private readonly byId: T[] = [];
  readonly empty: OccurrenceSet<T> = new OccurrenceSet(this, [], 0);

  /** The set of just `item`. */
  of(item: T): OccurrenceSet<T> {
    return this.empty.with(item);
  }

  /** @internal */
  remember(item: T): void {
    this.byId[item.id] = item;
  }

  /** @internal */
  item(id: number): T {
    return this.byId[id];
  }
}

const BITS = 32;
/** The word of a bitset that holds `id`, and its bit in that word. */
const wordOf = (id: number): number => Math.floor(id / BITS);
const bitOf = (id: number): number => 1 << (id % BITS);

export class OccurrenceSet<T extends { readonly id: number }> implements Iterable<T> {
  /** @internal Use the universe's `empty` and `of`. */
  constructor(
    private readonly universe: OccurrenceUniverse<T>,
    private readonly words: readonly number[],
    readonly size: number,
  ) {}

  has(item: T): boolean {
    return ((this.words[wordOf(item.id)] ?? 0) & bitOf(item.id)) !== 0;
  }

  /** This set with `item`: itself when it has it already. */
  with(item: T): OccurrenceSet<T> {
    if (this.has(item)) return this;
    this.universe.remember(item);
    const words = this.words.slice();
    const index = wordOf(item.id);
    for (let at = words.length; at < index; at++) words.push(0);
    words[index] = (words[index] ?? 0) | bitOf(item.id);
    return new OccurrenceSet(this.universe, words, this.size + 1);
  }

  /** The union: this set itself when `other` adds nothing to it, `other` when this adds nothing to it. */
  union(other: OccurrenceSet<T>): OccurrenceSet<T> {
    if (other === this || !other.size) return this;
    if (!this.size) return other;
    let size = this.size;
    for (let index = 0; index < other.words.length; index++)
      size += bitCount(other.words[index] & ~(this.words[index] ?? 0));
    if (size === this.size) return this;
    if (size === other.size) return other;
    const words: number[] = [];
    for (let index = 0; index < Math.max(this.words.length, other.words.length); index++)
      words.push((this.words[index] ?? 0) | (other.words[index] ?? 0));
    return new OccurrenceSet(this.universe, words, size);
  }

  /** This set without the items `drop` says to leave out: itself when it drops none. */
  without(drop: (item: T) => boolean): OccurrenceSet<T> {
    let words: number[] | undefined;
    let size = this.size;
    for (const item of this) {
      if (!drop(item)) continue;
      words ??= this.words.slice();
      words[wordOf(item.id)] &= ~bitOf(item.id);
      size--;
    }
    return words ? new OccurrenceSet(this.universe, words, size) : this;
  }

  [Symbol.iterator](): Iterator<T> {
    const { words, universe } = this;
    let index = 0;
    let word = words[0] ?? 0;
    return {
      next: (): IteratorResult<T> => {
        while (!word) {
          if (++index >= words.length) return { done: true, value: undefined };
          word = words[index];
        }
        const bit = 31 - Math.clz32(word & -word);
        word &= word - 1;
        return { done: false, value: universe.item(index * BITS + bit) };
      },
    };
  }
}

function bitCount(word: number): number {
  let count = 0;
  for (let rest = word; rest; rest &= rest - 1) count++;
  return count;
}
