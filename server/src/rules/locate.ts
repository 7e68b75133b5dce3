/**
 * From the locations in a consumer report back to the syntax they point at: which catch clause a
 * `caught` event entered, whether an effect or settle lies inside a try, its catch or its finally.
 * Shared by swallowed-failure-ack and unsettled-message and their fixes.
 */
import { ts } from 'ts-morph';
import type { CallChainLink, SourceLocation } from '../model';
import type { SourceReader } from '../analysis/source/reader';

/** The places an occurrence touches: where it happens and each call that leads to it. */
export function placesOf(occurrence: { location: SourceLocation; chain: CallChainLink[] }): SourceLocation[] {
  return [occurrence.location, ...occurrence.chain.map((link) => link.location)];
}

export function within(location: SourceLocation, node: ts.Node): boolean {
  const sourceFile = node.getSourceFile();
  return location.filePath === sourceFile.fileName && location.start >= node.getStart(sourceFile) && location.end <= node.getEnd();
}

export function locationWithin(inner: SourceLocation, outer: SourceLocation): boolean {
  return inner.filePath === outer.filePath && inner.start >= outer.start && inner.end <= outer.end;
}

/** Whether an occurrence runs inside a node: it is there, or a call inside the node leads to it. */
export function reachedWithin(occurrence: { location: SourceLocation; chain: CallChainLink[] }, node: ts.Node): boolean {
  return placesOf(occurrence).some((place) => within(place, node));
}

/** The innermost node of a kind that starts at an offset (a `catch` keyword, a statement). */
export function nodeStartingAt<T extends ts.Node>(context: SourceReader, location: SourceLocation, test: (node: ts.Node) => node is T): T | undefined {
  const sourceFile = context.sourceFile(location.filePath);
  if (!sourceFile) return undefined;
  let found: T | undefined;
  const visit = (node: ts.Node): void => {
    const start = node.getStart(sourceFile);
    if (start > location.start || node.getEnd() < location.start) return;
    if (start === location.start && test(node)) found = node;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

/** The innermost node of a kind that contains a location. */
export function nodeContaining<T extends ts.Node>(context: SourceReader, location: SourceLocation, test: (node: ts.Node) => node is T): T | undefined {
  const sourceFile = context.sourceFile(location.filePath);
  if (!sourceFile) return undefined;
  let found: T | undefined;
  const visit = (node: ts.Node): void => {
    if (node.getStart(sourceFile) > location.start || node.getEnd() < location.end) return;
    if (test(node)) found = node;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

/** Lookups by location, per parsed file (a handler has many paths through the same few catches). */
const memo = new WeakMap<ts.SourceFile, Map<string, unknown>>();

function remembered<T>(context: SourceReader, location: SourceLocation, kind: string, compute: () => T): T {
  const sourceFile = context.sourceFile(location.filePath);
  if (!sourceFile) return compute();
  let entries = memo.get(sourceFile);
  if (!entries) {
    entries = new Map();
    memo.set(sourceFile, entries);
  }
  const key = `${kind}:${location.start}:${location.end}`;
  if (!entries.has(key)) entries.set(key, compute());
  return entries.get(key) as T;
}

/** The catch clause a `caught` event points at (its location starts at the `catch` keyword). */
export function catchClauseAt(context: SourceReader, location: SourceLocation): ts.CatchClause | undefined {
  return remembered(context, location, 'catch', () => nodeStartingAt(context, location, ts.isCatchClause));
}

/** The source text of a location, as analysed. */
export function textOf(context: SourceReader, location: SourceLocation): string {
  const sourceFile = context.sourceFile(location.filePath);
  return sourceFile ? sourceFile.text.slice(location.start, location.end) : '';
}

/** The `finally` block holding a location, with the try it belongs to. */
export function enclosingFinally(context: SourceReader, location: SourceLocation): { block: ts.Block; tryStatement: ts.TryStatement } | undefined {
  return remembered(context, location, 'finally', () => findEnclosingFinally(context, location));
}

function findEnclosingFinally(context: SourceReader, location: SourceLocation): { block: ts.Block; tryStatement: ts.TryStatement } | undefined {
  const sourceFile = context.sourceFile(location.filePath);
  if (!sourceFile) return undefined;
  let found: { block: ts.Block; tryStatement: ts.TryStatement } | undefined;
  const visit = (node: ts.Node): void => {
    if (node.getStart(sourceFile) > location.start || node.getEnd() < location.end) return;
    if (ts.isTryStatement(node) && node.finallyBlock && within(location, node.finallyBlock)) found = { block: node.finallyBlock, tryStatement: node };
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return found;
}

/**
 * Whether the code at a location runs only under a condition inside `container`: an `if`, a
 * conditional expression, `&&`/`||`/`??`, or a `switch` between them (a finally ack behind a
 * success flag).
 */
export function conditionalWithin(context: SourceReader, location: SourceLocation, container: ts.Node): boolean {
  const sourceFile = context.sourceFile(location.filePath);
  if (!sourceFile) return false;
  let conditional = false;
  const visit = (node: ts.Node): void => {
    if (node.getStart(sourceFile) > location.start || node.getEnd() < location.end) return;
    if (node !== container && within(location, node) && node.getStart(sourceFile) >= container.getStart(sourceFile) && node.getEnd() <= container.getEnd()) {
      if (ts.isIfStatement(node) && !within(location, node.expression)) conditional = true;
      if (ts.isConditionalExpression(node) && !within(location, node.condition)) conditional = true;
      if (ts.isBinaryExpression(node) && within(location, node.right) && [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(node.operatorToken.kind)) conditional = true;
      if (ts.isCaseClause(node) || ts.isDefaultClause(node)) conditional = true;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(sourceFile, visit);
  return conditional;
}

/** Whether every path through a block leaves it (its last statement returns, throws, continues or breaks). */
export function blockAlwaysExits(block: ts.Block): boolean {
  const last = block.statements[block.statements.length - 1];
  if (!last) return false;
  if (ts.isReturnStatement(last) || ts.isThrowStatement(last) || ts.isContinueStatement(last) || ts.isBreakStatement(last)) return true;
  if (ts.isBlock(last)) return blockAlwaysExits(last);
  if (ts.isIfStatement(last) && last.elseStatement) {
    const branch = (statement: ts.Statement): boolean => (ts.isBlock(statement) ? blockAlwaysExits(statement) : ts.isReturnStatement(statement) || ts.isThrowStatement(statement));
    return branch(last.thenStatement) && branch(last.elseStatement);
  }
  return false;
}

/** The function a node is in. */
export function functionOf(node: ts.Node): ts.FunctionLikeDeclaration | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current && !ts.isFunctionLike(current)) current = current.parent;
  return current as ts.FunctionLikeDeclaration | undefined;
}
