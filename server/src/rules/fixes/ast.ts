/** Finding the nodes a finding points at, for fixes that edit around them. */
import { ts } from 'ts-morph';
import type { SourceLocation } from '../../model';
import type { SourceReader } from '../../analysis/source/reader';

/** The outermost node that starts and ends exactly at the location (a call, a statement…). */
export function nodeAt(context: SourceReader, location: SourceLocation): ts.Node | undefined {
  const sourceFile = context.sourceFile(location.filePath);
  if (!sourceFile) return undefined;
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (node.getStart(sourceFile) === location.start && node.getEnd() === location.end) {
      found = node;
      return;
    }
    if (node.getStart(sourceFile) <= location.start && node.getEnd() >= location.end) ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

/** The statement that holds a node, directly inside a block. */
export function statementInBlock(node: ts.Node): ts.Statement | undefined {
  let current: ts.Node | undefined = node;
  while (current && !(ts.isBlock(current.parent) && ts.isStatement(current as ts.Statement))) {
    if (ts.isFunctionLike(current)) return undefined;
    current = current.parent;
  }
  return current as ts.Statement | undefined;
}

export function enclosingFunction(node: ts.Node): ts.FunctionLikeDeclaration | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current && !ts.isFunctionLike(current)) current = current.parent;
  return current as ts.FunctionLikeDeclaration | undefined;
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
