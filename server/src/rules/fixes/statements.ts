/** Statements around the nodes a finding points at, for fixes that move or remove them. */
import { ts } from 'ts-morph';

/** The statement that holds a node, directly inside a block. */
export function statementInBlock(node: ts.Node): ts.Statement | undefined {
  let current: ts.Node | undefined = node;
  while (current && !(ts.isBlock(current.parent) && ts.isStatement(current))) {
    if (ts.isFunctionLike(current)) return undefined;
    current = current.parent;
  }
  return current;
}

/** Start of the statement's first line (so moving it takes its indentation and comments). */
export function fullLineRange(text: string, statement: ts.Statement): { start: number; end: number } {
  const start = text.lastIndexOf('\n', statement.getStart() - 1) + 1;
  let end = statement.getEnd();
  while (end < text.length && (text[end] === ' ' || text[end] === '\t')) end++;
  // A trailing `// comment` on the same line belongs to the statement.
  if (text.startsWith('//', end)) {
    const newline = text.indexOf('\n', end);
    end = newline < 0 ? text.length : newline;
    if (text[end - 1] === '\r') end--;
  }
  if (text[end] === '\r') end++;
  if (text[end] === '\n') end++;
  return { start, end };
}

/** Every identifier written in `node`: the names a fix's new declarations must not take. */
export function identifierNames(node: ts.Node): Set<string> {
  const names = new Set<string>();
  const visit = (child: ts.Node): void => {
    if (ts.isIdentifier(child)) names.add(child.text);
    ts.forEachChild(child, visit);
  };
  visit(node);
  return names;
}
