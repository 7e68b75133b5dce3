/**
 * Where a failure path goes through the syntax: which catch clause a `caught` event entered, which
 * finally holds a settle, whether a settle runs behind a condition, whether a block always leaves.
 * Shared by swallowed-failure-ack and unsettled-message and their fixes; the generic lookups from a
 * location to a node are analysis/source/locate.ts.
 */
import { ts } from 'ts-morph';
import type { SourceLocation } from '../model';
import { forEachNodeAround, nodeStartingAt, within } from '../analysis/source/locate';
import type { SourceReader } from '../analysis/source/reader';
import { catchSiteStartingAt, type CatchSite } from '../analysis/source/catches';

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
  const site = catchSiteAt(context, location);
  return site && ts.isCatchClause(site.node) ? site.node : undefined;
}

/** The catch a `caught` event points at: a `catch` clause, or a `.catch(cb)` call (analysis/source/catches.ts). */
export function catchSiteAt(context: SourceReader, location: SourceLocation): CatchSite | undefined {
  return remembered(context, location, 'catch-site', () => {
    let site: CatchSite | undefined;
    nodeStartingAt(context, location, (node): node is ts.Node => {
      const found = catchSiteStartingAt(node);
      if (found) site = found;
      return !!found;
    });
    return site;
  });
}

/** The `finally` block holding a location, with the try it belongs to. */
export function enclosingFinally(
  context: SourceReader,
  location: SourceLocation,
): { block: ts.Block; tryStatement: ts.TryStatement } | undefined {
  return remembered(context, location, 'finally', () => findEnclosingFinally(context, location));
}

function findEnclosingFinally(
  context: SourceReader,
  location: SourceLocation,
): { block: ts.Block; tryStatement: ts.TryStatement } | undefined {
  const sourceFile = context.sourceFile(location.filePath);
  if (!sourceFile) return undefined;
  let found: { block: ts.Block; tryStatement: ts.TryStatement } | undefined;
  forEachNodeAround(sourceFile, location.start, location.end, (node) => {
    if (ts.isTryStatement(node) && node.finallyBlock && within(location, node.finallyBlock))
      found = { block: node.finallyBlock, tryStatement: node };
  });
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
  forEachNodeAround(sourceFile, location.start, location.end, (node) => {
    if (
      node === container ||
      !within(location, node) ||
      node.getStart(sourceFile) < container.getStart(sourceFile) ||
      node.getEnd() > container.getEnd()
    )
      return;
    if (ts.isIfStatement(node) && !within(location, node.expression)) conditional = true;
    if (ts.isConditionalExpression(node) && !within(location, node.condition)) conditional = true;
    if (
      ts.isBinaryExpression(node) &&
      within(location, node.right) &&
      [ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(
        node.operatorToken.kind,
      )
    )
      conditional = true;
    if (ts.isCaseClause(node) || ts.isDefaultClause(node)) conditional = true;
  });
  return conditional;
}
