/**
 * The `ignore` globs of delivery-lint.config.json, matched in time linear in the path (times the
 * pattern's length), whatever the pattern: the pattern is compiled to a list of tokens and the path
 * is run through it as a set of positions (a non-deterministic automaton), never by backtracking.
 * A regular expression made from a glob backtracks: `**a**a**a…b` against a long folder name ran
 * for minutes.
 *
 * Paths are relative and `/`-separated. `*` matches any characters but `/`, `?` one character
 * but `/`, `[abc]`, `[a-z]` and `[!a]` one character of a class, `**` any characters including
 * `/`, and `**` followed by `/` also matches nothing (zero folders: `src/**\/x.ts` matches
 * `src/x.ts`). Every other character matches itself.
 */

type Token =
  | { t: 'char'; c: string }
  | { t: 'any' }
  | { t: 'class'; negated: boolean; ranges: [string, string][] }
  | { t: 'star' }
  /** `**`; `skip` (for `**` followed by `/`): the position after that `/`, reached without consuming. */
  | { t: 'globstar'; skip?: number };

export interface GlobMatcher {
  (path: string): boolean;
}

function compile(glob: string): Token[] {
  const tokens: Token[] = [];
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index];
    if (char === '*' && glob[index + 1] === '*') {
      while (glob[index + 1] === '*') index++; // `***` is `**`
      const slash = glob[index + 1] === '/';
      tokens.push({ t: 'globstar' });
      if (slash) {
        // `**/`: the globstar and its `/`, or nothing at all.
        tokens.push({ t: 'char', c: '/' });
        (tokens[tokens.length - 2] as { skip?: number }).skip = tokens.length;
        index++;
      }
    } else if (char === '*') {
      tokens.push({ t: 'star' });
    } else if (char === '?') {
      tokens.push({ t: 'any' });
    } else if (char === '[') {
      const end = glob.indexOf(']', index + 2);
      if (end < 0) {
        tokens.push({ t: 'char', c: char });
        continue;
      }
      let body = glob.slice(index + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let at = 0; at < body.length; at++) {
        if (body[at + 1] === '-' && at + 2 < body.length) {
          ranges.push([body[at], body[at + 2]]);
          at += 2;
        } else ranges.push([body[at], body[at]]);
      }
      tokens.push({ t: 'class', negated, ranges });
      index = end;
    } else {
      tokens.push({ t: 'char', c: char });
    }
  }
  return tokens;
}

function consumes(token: Token, char: string): boolean {
  switch (token.t) {
    case 'char':
      return token.c === char;
    case 'any':
      return char !== '/';
    case 'star':
      return char !== '/';
    case 'globstar':
      return true;
    case 'class': {
      if (char === '/') return false;
      const inside = token.ranges.some(([from, to]) => char >= from && char <= to);
      return inside !== token.negated;
    }
  }
}

/** A matcher for one glob, over whole relative paths. */
export function globMatcher(glob: string): GlobMatcher {
  const tokens = compile(glob);
  const size = tokens.length + 1; // position `tokens.length` is the accepting one
  // Positions reachable from a position without consuming: past a `*`, `**`, or a `**/` whole.
  const closure = (states: Uint8Array, list: number[]): void => {
    for (let cursor = 0; cursor < list.length; cursor++) {
      const position = list[cursor];
      const token = tokens[position];
      if (!token) continue;
      const next: number[] = [];
      if (token.t === 'star' || token.t === 'globstar') next.push(position + 1);
      if (token.t === 'globstar' && token.skip !== undefined) next.push(token.skip);
      for (const target of next)
        if (!states[target]) {
          states[target] = 1;
          list.push(target);
        }
    }
  };
  return (path: string): boolean => {
    let states = new Uint8Array(size);
    let list = [0];
    states[0] = 1;
    closure(states, list);
    for (const char of path) {
      const nextStates = new Uint8Array(size);
      const nextList: number[] = [];
      for (const position of list) {
        const token = tokens[position];
        if (!token || !consumes(token, char)) continue;
        // `*` and `**` stay where they are after consuming; everything else moves on.
        const target = token.t === 'star' || token.t === 'globstar' ? position : position + 1;
        if (!nextStates[target]) {
          nextStates[target] = 1;
          nextList.push(target);
        }
      }
      if (!nextList.length) return false;
      closure(nextStates, nextList);
      states = nextStates;
      list = nextList;
    }
    return states[tokens.length] === 1;
  };
}
