/**
 * Wrappers (docs/model.md, "Wrappers, dispatch tables and where findings go"): a function or method that registers a consumer and calls a callback it
 * was given. The callbacks passed at its call sites are the real handlers; the ack order comes
 * from the wrapper. Found through the type checker; calls it cannot resolve stay unfollowed.
 */
import { ts } from 'ts-morph';
import type { ConsumerSite } from '.';
import {
  FunctionWithBody,
  containsNode,
  forEachDescendant,
  isFunctionWithBody,
  staticText,
  symbolOf,
  unwrap,
} from '../source/ast';
import { calledFunction, resolveFunction } from '../source/symbols';

export interface WrapperInfo {
  site: ConsumerSite;
  /** The function that registers the consumer and receives the callback. */
  wrapper: FunctionWithBody;
  parameter: ts.ParameterDeclaration;
  parameterIndex: number;
}

export interface WrapperCall {
  wrapper: WrapperInfo;
  /** The call of the wrapper: the consumer's registration as the user sees it. */
  node: ts.CallExpression;
  callback: FunctionWithBody;
  /** The queue or topic named at the call site, when it is a static string. */
  source?: string;
  /** The registration as seen through this call (registration node replaced). */
  site: ConsumerSite;
}

/** Whether the handler of a registration calls a callback parameter of a function around it. */
export function findWrapper(site: ConsumerSite, checker: ts.TypeChecker): WrapperInfo | undefined {
  const scope = site.body ?? site.handler.body;
  let found: WrapperInfo | undefined;
  forEachDescendant(
    scope,
    (node) => {
      if (found || !ts.isCallExpression(node)) return;
      const callee = unwrap(node.expression);
      if (!ts.isIdentifier(callee)) return;
      const declaration = symbolOf(callee, checker)?.valueDeclaration;
      if (!declaration || !ts.isParameter(declaration)) return;
      const owner = declaration.parent;
      // A loop-style consumer's handler is the function holding the loop: it can be the wrapper itself.
      if (
        !isFunctionWithBody(owner) ||
        (owner === site.handler && !site.body) ||
        !containsNode(owner, site.registrationNode)
      )
        return;
      found = { site, wrapper: owner, parameter: declaration, parameterIndex: owner.parameters.indexOf(declaration) };
    },
    true,
  );
  return found;
}

/** Calls of the wrappers in the given files, with the callback each passes. */
export function findWrapperCalls(
  wrappers: readonly WrapperInfo[],
  files: readonly ts.SourceFile[],
  checker: ts.TypeChecker,
): WrapperCall[] {
  if (!wrappers.length) return [];
  const byFunction = new Map(wrappers.map((wrapper) => [wrapper.wrapper, wrapper]));
  const names = new Set(wrappers.map((wrapper) => wrapperName(wrapper.wrapper)).filter(Boolean));
  const calls: WrapperCall[] = [];
  for (const file of files) {
    forEachDescendant(
      file,
      (node) => {
        if (!ts.isCallExpression(node)) return;
        const callee = unwrap(node.expression);
        const name = ts.isIdentifier(callee)
          ? callee.text
          : ts.isPropertyAccessExpression(callee)
            ? callee.name.text
            : undefined;
        if (!name || !names.has(name)) return; // cheap test before asking the checker
        const target = calledFunction(node, checker);
        const wrapper = target && byFunction.get(target);
        if (!wrapper) return;
        const argument = node.arguments[wrapper.parameterIndex];
        const callback = argument && resolveFunction(argument, checker);
        if (!callback) return;
        const source = node.arguments
          .map((candidate) => staticText(candidate, checker))
          .find((text) => !!text && !text.includes('${'));
        calls.push({ wrapper, node, callback, source, site: { ...wrapper.site } });
      },
      true,
    );
  }
  return calls;
}

function wrapperName(fn: FunctionWithBody): string | undefined {
  if (fn.name && ts.isIdentifier(fn.name)) return fn.name.text;
  const parent = fn.parent;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && ts.isIdentifier(parent.name))
    return parent.name.text;
  return undefined;
}
