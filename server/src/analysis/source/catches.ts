/**
 * Where a failure is caught: a `try` statement's `catch` clause, or the callback of a `.catch(cb)`
 * chained on a promise (`handle(msg).catch(log)`), which catches the failures of the promise it is
 * called on as a `try` around it would (docs/model.md, "Order"). The flow reads both as a `try`
 * step; the failure watch of the dataflow and the rules that judge what a catch did with the
 * failure read them through this one shape.
 */
import { ts } from 'ts-morph';
import { isFunctionWithBody, unwrap, type FunctionWithBody } from './ast';

export interface CatchSite {
  /** The node the flow's `try` step names: the catch clause, or the callback. */
  node: ts.CatchClause | FunctionWithBody;
  /** What runs when the failure is caught: the catch block, or the callback's body. */
  body: ts.Node;
  /** What it catches the failures of: the try block, or the promise `.catch` is called on. */
  tried: ts.Node;
  /** The whole construct: the try statement, or the `.catch(cb)` call. */
  construct: ts.Node;
  /** The try's `finally` block (a callback has none: a later `.finally(cb)` is a link of its own). */
  finallyBlock?: ts.Block;
  /** The name the error is bound to, when it is an identifier. */
  errorName?: string;
  /** Where a `caught` event points: the `catch` keyword, or the name of the `.catch` call. */
  keyword: { start: number; end: number };
}

/** The catch site a `try` step's `catchNode` is, when it is one. */
export function catchSiteOf(node: ts.Node | undefined): CatchSite | undefined {
  if (!node) return undefined;
  if (ts.isCatchClause(node)) {
    const binding = node.variableDeclaration?.name;
    const start = node.getStart();
    return {
      node,
      body: node.block,
      tried: node.parent.tryBlock,
      construct: node.parent,
      finallyBlock: node.parent.finallyBlock,
      errorName: binding && ts.isIdentifier(binding) ? binding.text : undefined,
      keyword: { start, end: start + 'catch'.length },
    };
  }
  if (!isFunctionWithBody(node)) return undefined;
  const call = promiseCatchCall(node);
  if (!call) return undefined;
  const callee = call.expression as ts.PropertyAccessExpression;
  const parameter = node.parameters[0]?.name;
  return {
    node,
    body: node.body,
    tried: callee.expression,
    construct: call,
    errorName: parameter && ts.isIdentifier(parameter) ? parameter.text : undefined,
    keyword: { start: callee.name.getStart(), end: callee.name.getEnd() },
  };
}

/** The catch site whose `caught` location starts at `position`: a `catch` keyword or a `.catch` name. */
export function catchSiteStartingAt(node: ts.Node): CatchSite | undefined {
  if (ts.isCatchClause(node)) return catchSiteOf(node);
  if (!ts.isIdentifier(node) || node.text !== 'catch') return undefined;
  const access = node.parent;
  if (!ts.isPropertyAccessExpression(access) || access.name !== node) return undefined;
  const call = access.parent;
  if (!ts.isCallExpression(call) || call.expression !== access) return undefined;
  return catchSiteOf(catchCallback(call));
}

/** The function a `.catch(cb)` call is given, written there. */
export function catchCallback(call: ts.CallExpression): FunctionWithBody | undefined {
  const callee = unwrap(call.expression);
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 'catch') return undefined;
  const callback = call.arguments.length === 1 ? unwrap(call.arguments[0]) : undefined;
  return isFunctionWithBody(callback) ? callback : undefined;
}

/** The `.catch(cb)` call a callback is the argument of. */
function promiseCatchCall(callback: FunctionWithBody): ts.CallExpression | undefined {
  let argument: ts.Node = callback;
  while (ts.isParenthesizedExpression(argument.parent)) argument = argument.parent;
  const call = argument.parent;
  return ts.isCallExpression(call) && call.arguments[0] === argument && catchCallback(call) === callback
    ? call
    : undefined;
}
