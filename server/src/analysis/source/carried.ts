/**
 * What the language server keeps from one program to the next for the files an edit did not reach
 * (pipeline/carried-answers.ts), as the analysis asks for it. The server's recording checker has a
 * carrier (pipeline/reads.ts); without one (the CLI) every question goes to the checker.
 */
import type { ts } from 'ts-morph';

export interface Carrier {
  /**
   * A value computed from `node` and the files its file reaches through its imports (`kind` names
   * the computation): the one kept, or `compute`'s. What computing it read counts as read either way.
   */
  value<T>(node: ts.Node, kind: object, compute: () => T): T;
}

const carriers = new WeakMap<ts.TypeChecker, Carrier>();

/** Questions to `checker` that `carrier` may answer from an earlier program go to it first. */
export function useCarrier(checker: ts.TypeChecker, carrier: Carrier): void {
  carriers.set(checker, carrier);
}

/**
 * What `compute` makes of `node` (and the files its file reaches), kept where a carrier keeps it.
 * The value must hold no symbol or type of the checker, only parsed files' nodes and plain data,
 * and must not depend on delivery-lint's config (it is kept when only the config changes).
 */
export function carriedValue<T>(checker: ts.TypeChecker, node: ts.Node, kind: object, compute: () => T): T {
  const carrier = carriers.get(checker);
  return carrier ? carrier.value(node, kind, compute) : compute();
}

/**
 * The declaration of the signature `call` resolves to. Overload resolution is the costliest
 * question the analysis asks, and the same calls of unchanged files are asked about after every edit.
 */
export function resolvedDeclaration(call: ts.CallExpression, checker: ts.TypeChecker): ts.Declaration | undefined {
  return carriedValue(checker, call, resolvedDeclaration, () => checker.getResolvedSignature(call)?.getDeclaration());
}
