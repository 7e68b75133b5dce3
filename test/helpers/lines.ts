/** Lines of fixture code, for expectations written as "the line holding this text". */
import assert from 'node:assert/strict';

/** The 1-based line that contains `needle`; the fixture must hold it on exactly one line. */
export function lineOf(code: string, needle: string): number {
  const matches = code.split('\n').flatMap((line, index) => (line.includes(needle) ? [index + 1] : []));
  assert.equal(
    matches.length,
    1,
    `fixture: expected exactly one line containing ${JSON.stringify(needle)}, found ${matches.length}`,
  );
  return matches[0];
}

/** The 1-based first line that contains `needle` (for fixtures that repeat it). */
export function firstLineOf(code: string, needle: string): number {
  const index = code.split('\n').findIndex((line) => line.includes(needle));
  assert.ok(index >= 0, `fixture: no line contains ${JSON.stringify(needle)}`);
  return index + 1;
}
