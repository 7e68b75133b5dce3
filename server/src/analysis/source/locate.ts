/**
 * From the locations in the model back to the syntax they point at, in the files a SourceReader
 * gives (the ones the analysis ran on). One descent, `forEachNodeAround`, serves every lookup:
 * the node at a location, the innermost node of a kind starting at or containing it.
 */
import { ts } from 'ts-morph';
import type { CallChainLink, SourceLocation } from '../../model';
import type { SourceReader } from './reader';

/**
 * Visits, outermost first, every node whose span (from its first token to its end) covers
 * [start, end]; `visit` returning true stops the walk.
 */
export function forEachNodeAround(
  sourceFile: ts.SourceFile,
  start: number,
  end: number,
  visit: (node: ts.Node) => boolean | void,
): void {
  let stopped = false;
  const descend = (node: ts.Node): void => {
    if (stopped || node.getStart(sourceFile) > start || node.getEnd() < end) return;
    if (visit(node)) {
      stopped = true;
      return;
    }
    ts.forEachChild(node, descend);
  };
  ts.forEachChild(sourceFile, descend);
}

/** The outermost node (passing `test`, when given) that starts and ends exactly at the location: a call, a statement… */
export function nodeAt<T extends ts.Node = ts.Node>(
  reader: SourceReader,
  location: SourceLocation,
  test?: (node: ts.Node) => node is T,
): T | undefined {
  const sourceFile = reader.sourceFile(location.filePath);
  if (!sourceFile) return undefined;
  let found: T | undefined;
  forEachNodeAround(sourceFile, location.start, location.end, (node) => {
    if (node.getStart(sourceFile) !== location.start || node.getEnd() !== location.end || (test && !test(node)))
      return false;
    found = node as T;
    return true;
  });
  return found;
}

/** The innermost node of a kind that starts at the location's start (a `catch` keyword, a statement). */
export function nodeStartingAt<T extends ts.Node>(
  reader: SourceReader,
  location: SourceLocation,
  test: (node: ts.Node) => node is T,
): T | undefined {
  const sourceFile = reader.sourceFile(location.filePath);
  if (!sourceFile) return undefined;
  let found: T | undefined;
  forEachNodeAround(sourceFile, location.start, location.start, (node) => {
    if (node.getStart(sourceFile) === location.start && test(node)) found = node;
  });
  return found;
}

/** The innermost node of a kind that contains the location. */
export function nodeContaining<T extends ts.Node>(
  reader: SourceReader,
  location: SourceLocation,
  test: (node: ts.Node) => node is T,
): T | undefined {
  const sourceFile = reader.sourceFile(location.filePath);
  if (!sourceFile) return undefined;
  let found: T | undefined;
  forEachNodeAround(sourceFile, location.start, location.end, (node) => {
    if (test(node)) found = node;
  });
  return found;
}

/** The places an occurrence touches: where it happens and each call that leads to it. */
export function placesOf(occurrence: { location: SourceLocation; chain: CallChainLink[] }): SourceLocation[] {
  return [occurrence.location, ...occurrence.chain.map((link) => link.location)];
}

export function within(location: SourceLocation, node: ts.Node): boolean {
  const sourceFile = node.getSourceFile();
  return (
    location.filePath === sourceFile.fileName &&
    location.start >= node.getStart(sourceFile) &&
    location.end <= node.getEnd()
  );
}

export function locationWithin(inner: SourceLocation, outer: SourceLocation): boolean {
  return inner.filePath === outer.filePath && inner.start >= outer.start && inner.end <= outer.end;
}

/** Whether an occurrence runs inside a node: it is there, or a call inside the node leads to it. */
export function reachedWithin(
  occurrence: { location: SourceLocation; chain: CallChainLink[] },
  node: ts.Node,
): boolean {
  return placesOf(occurrence).some((place) => within(place, node));
}

/** The source text of a location, as analysed. */
export function textOf(reader: SourceReader, location: SourceLocation): string {
  const sourceFile = reader.sourceFile(location.filePath);
  return sourceFile ? sourceFile.text.slice(location.start, location.end) : '';
}

/** The function a node is in. */
export function functionOf(node: ts.Node): ts.FunctionLikeDeclaration | undefined {
  let current: ts.Node | undefined = node.parent;
  while (current && !ts.isFunctionLike(current)) current = current.parent;
  return current as ts.FunctionLikeDeclaration | undefined;
}
