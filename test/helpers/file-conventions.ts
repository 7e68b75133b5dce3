/**
 * Files written the other way: CRLF line endings and tab indentation. Every quick-fix is applied to
 * such a copy of its case too (fix-cases.ts, fix-scenarios.ts): an edit must use the file's own
 * line ending and indentation (docs/model.md, "Edits that respect the file").
 */
import assert from 'node:assert/strict';
import { detectStyle } from '../../server/src/rules/fixes/style';

/** `text` with CRLF line endings and each level of its space indentation as a tab. */
export function withCrlfAndTabs(text: string, indentWidth = indentWidthOf(text)): string {
  return text
    .split(/\r?\n/)
    .map((line) => {
      const spaces = /^ */.exec(line)![0].length;
      return '\t'.repeat(Math.floor(spaces / indentWidth)) + ' '.repeat(spaces % indentWidth) + line.slice(spaces);
    })
    .join('\r\n');
}

/** The width of one level of a file's space indentation (2 unless the file says 4). */
export function indentWidthOf(text: string): number {
  const unit = detectStyle(text).indentUnit;
  return unit === '\t' ? 2 : unit.length;
}

/** Every line break is CRLF and no line is indented by spaces (a single space before a JSDoc `*` aside). */
export function assertCrlfAndTabs(text: string, what: string): void {
  const bare = text.search(/(?<!\r)\n/);
  assert.equal(bare, -1, `${what}: a bare \\n at line ${text.slice(0, bare).split('\n').length}:\n${text}`);
  const lines = text.split('\r\n');
  const spaced = lines.findIndex((line) => /^\t* {2,}\S/.test(line));
  assert.equal(
    spaced,
    -1,
    `${what}: line ${spaced + 1} is indented with spaces in a tab-indented file: ${JSON.stringify(lines[spaced])}`,
  );
}
