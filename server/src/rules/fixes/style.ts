/** Reads a file's code style so generated code looks like its neighbours. */

export interface CodeStyle {
  indentUnit: string;
  quote: "'" | '"';
  semicolon: string;
  newline: string;
}

export function detectStyle(text: string): CodeStyle {
  const lines = text.split(/\r?\n/);
  let tabs = 0;
  const widths = new Map<number, number>();
  for (const line of lines) {
    const indent = /^[ \t]+(?=\S)/.exec(line)?.[0];
    if (!indent) continue;
    if (indent.startsWith('\t')) tabs++;
    else widths.set(indent.length, (widths.get(indent.length) ?? 0) + 1);
  }
  const smallest = [...widths.keys()].filter((width) => width > 0).sort((a, b) => a - b)[0] ?? 2;
  const indentUnit =
    tabs > [...widths.values()].reduce((sum, count) => sum + count, 0)
      ? '\t'
      : ' '.repeat(smallest === 4 || smallest === 2 ? smallest : 2);
  const singles = (text.match(/'[^'\n]*'/g) ?? []).length;
  const doubles = (text.match(/"[^"\n]*"/g) ?? []).length;
  const statementsWithSemicolon = (text.match(/[)\]'"\w]\s*;\s*$/gm) ?? []).length;
  const statementLines = (text.match(/[)\]'"\w]\s*$/gm) ?? []).length;
  return {
    indentUnit,
    quote: doubles > singles ? '"' : "'",
    semicolon: statementsWithSemicolon >= statementLines / 3 ? ';' : '',
    newline: text.includes('\r\n') ? '\r\n' : '\n',
  };
}

/** The whitespace at the start of the line holding `offset`. */
export function indentationAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
}

export function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/** Re-indents a block of lines by `extra`, leaving blank lines empty. */
export function indentLines(text: string, extra: string): string {
  return text
    .split('\n')
    .map((line) => (line.trim() ? extra + line : line))
    .join('\n');
}

export function quoted(text: string, style: CodeStyle): string {
  return `${style.quote}${text.replace(new RegExp(style.quote, 'g'), `\\${style.quote}`)}${style.quote}`;
}

/** A key expression with a prefix: `order-${x}` from a template or a plain expression. */
export function prefixedKey(identity: string, prefix: string): string {
  if (identity.startsWith('`')) return '`' + prefix + identity.slice(1);
  return '`' + prefix + '${' + identity + '}`';
}
