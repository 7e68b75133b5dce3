/**
 * A unified diff of two texts (what `--fix-dry-run` prints): the lines that differ, with three
 * lines of context, in `diff -u` / `git diff` form. Myers' algorithm over lines.
 */

type Operation = { kind: ' ' | '-' | '+'; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The edit script from `a` to `b` (Myers, O((N+M)D)). */
function operations(a: string[], b: string[]): Operation[] {
  const max = a.length + b.length;
  const offset = max + 1;
  const frontier = new Array<number>(2 * max + 3).fill(0);
  const trace: number[][] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push([...frontier]);
    for (let k = -d; k <= d; k += 2) {
      let x =
        k === -d || (k !== d && frontier[offset + k - 1] < frontier[offset + k + 1])
          ? frontier[offset + k + 1]
          : frontier[offset + k - 1] + 1;
      let y = x - k;
      while (x < a.length && y < b.length && a[x] === b[y]) {
        x++;
        y++;
      }
      frontier[offset + k] = x;
      if (x >= a.length && y >= b.length) {
        found = true;
        break;
      }
    }
  }
  trace.push([...frontier]);
  // Walk back through the frontiers to recover the path.
  const result: Operation[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 2; d >= 0; d--) {
    const v = trace[d];
    const k = x - y;
    const previousK = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? k + 1 : k - 1;
    const previousX = d === 0 ? 0 : v[offset + previousK];
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      result.push({ kind: ' ', line: a[--x] });
      y--;
    }
    if (d === 0) break;
    if (x === previousX) result.push({ kind: '+', line: b[--y] });
    else result.push({ kind: '-', line: a[--x] });
  }
  while (x > 0 && y > 0) {
    result.push({ kind: ' ', line: a[--x] });
    y--;
  }
  return result.reverse();
}

/** `--- a/<label>` / `+++ b/<label>` and the hunks; empty when the texts are equal. */
export function unifiedDiff(label: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const ops = operations(splitLines(before), splitLines(after));
  const lines: string[] = [`--- a/${label}`, `+++ b/${label}`];
  let index = 0;
  while (index < ops.length) {
    if (ops[index].kind === ' ') {
      index++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is within 2 * context lines of the previous one.
    let start = Math.max(0, index - context);
    let end = index;
    while (end < ops.length) {
      if (ops[end].kind !== ' ') {
        end++;
        continue;
      }
      let run = end;
      while (run < ops.length && ops[run].kind === ' ') run++;
      if (run < ops.length && run - end <= 2 * context) end = run;
      else break;
    }
    end = Math.min(ops.length, end + context);
    let oldStart = 1;
    let newStart = 1;
    for (let i = 0; i < start; i++) {
      if (ops[i].kind !== '+') oldStart++;
      if (ops[i].kind !== '-') newStart++;
    }
    const hunk = ops.slice(start, end);
    const oldCount = hunk.filter((op) => op.kind !== '+').length;
    const newCount = hunk.filter((op) => op.kind !== '-').length;
    lines.push(
      `@@ -${oldCount ? oldStart : oldStart - 1},${oldCount} +${newCount ? newStart : newStart - 1},${newCount} @@`,
    );
    for (const op of hunk) lines.push(`${op.kind}${op.line}`);
    index = end;
    start = end;
  }
  return lines.join('\n') + '\n';
}
