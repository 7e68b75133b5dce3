/**
 * Where a failure is caught: a `try` statement's `catch` clause, the callback of a `.catch(cb)`
 * chained on a promise (`handle(msg).catch(log)`), which catches the failures of the promise it is
 * called on as a `try` around it would, or a `Promise.allSettled(…)` whose results nobody reads,
 * which catches its promises' failures and does nothing with them (docs/model.md, "Order"). The
 * flow reads each as a `try` step; the failure watch of the dataflow and the rules that judge what
 * a catch did with the failure read them through this one shape.
 */
import { ts } from 'ts-morph';
import { isFunctionWithBody, unwrap, type FunctionWithBody } from './ast';

export interface CatchSite {
  /** The node the flow's `try` step names: the catch clause, the callback, or the `allSettled` call. */
  node: ts.CatchClause | FunctionWithBody | ts.CallExpression;
  /** How a message names it: `catch`, `.catch()`, `Promise.allSettled()`. */
  label: string;
  /** What runs when the failure is caught: the catch block, the callback's body, or (allSettled) nothing: its callee. */
  body: ts.Node;
  /** What it catches the failures of: the try block, the promise `.catch` is called on, allSettled's argument. */
  tried: ts.Node;
  /** The whole construct: the try statement, or the `.catch(cb)` or `allSettled` call. */
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
      label: 'catch',
      body: node.block,
      tried: node.parent.tryBlock,
      construct: node.parent,
      finallyBlock: node.parent.finallyBlock,
      errorName: binding && ts.isIdentifier(binding) ? binding.text : undefined,
      keyword: { start, end: start + 'catch'.length },
    };
  }
  if (ts.isCallExpression(node)) return settledAllSite(node);
  if (!isFunctionWithBody(node)) return undefined;
  const call = promiseCatchCall(node);
  if (!call) return undefined;
  const callee = call.expression as ts.PropertyAccessExpression;
  const parameter = node.parameters[0]?.name;
  return {
    node,
    label: '.catch()',
    body: node.body,
    tried: callee.expression,
    construct: call,
    errorName: parameter && ts.isIdentifier(parameter) ? parameter.text : undefined,
    keyword: { start: callee.name.getStart(), end: callee.name.getEnd() },
  };
}

/** The catch site whose `caught` location starts at `node`: a `catch` keyword, a `.catch` or `allSettled` name. */
export function catchSiteStartingAt(node: ts.Node): CatchSite | undefined {
  if (ts.isCatchClause(node)) return catchSiteOf(node);
  if (!ts.isIdentifier(node) || (node.text !== 'catch' && node.text !== 'allSettled')) return undefined;
  const access = node.parent;
  if (!ts.isPropertyAccessExpression(access) || access.name !== node) return undefined;
  const call = access.parent;
  if (!ts.isCallExpression(call) || call.expression !== access) return undefined;
  return node.text === 'catch' ? catchSiteOf(catchCallback(call)) : settledAllSite(call);
}

/** `Promise.allSettled(…)`: it catches what its promises throw. */
export function isSettledAll(call: ts.CallExpression): boolean {
  const callee = unwrap(call.expression);
  return (
    ts.isPropertyAccessExpression(callee) &&
    callee.name.text === 'allSettled' &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'Promise'
  );
}

function settledAllSite(call: ts.CallExpression): CatchSite | undefined {
  if (!isSettledAll(call) || !call.arguments.length) return undefined;
  const callee = unwrap(call.expression) as ts.PropertyAccessExpression;
  return {
    node: call,
    label: 'Promise.allSettled()',
    body: callee,
    tried: call.arguments[0],
    construct: call,
    keyword: { start: callee.name.getStart(), end: callee.name.getEnd() },
  };
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
