/**
 * What the language server keeps from one program to the next for the files an edit did not reach
 * (pipeline/carried-answers.ts), as the analysis asks for it. The server's recording checker has a
 * carrier (pipeline/reads.ts); without one (the CLI) every question goes to the checker.
 */
import type { ts } from 'ts-morph';

export interface Carrier {
  /** The declaration `call` resolves to: the one kept, or `ask`'s. */
  declaration(call: ts.CallExpression, ask: () => ts.Declaration | undefined): ts.Declaration | undefined;
  /**
   * A value computed from `file` and the files it reaches through its imports (`kind` names the
   * computation): the one kept, or `compute`'s. What computing it read counts as read either way.
   */
  fileValue<T>(file: ts.SourceFile, kind: object, compute: () => T): T;
}

const carriers = new WeakMap<ts.TypeChecker, Carrier>();

/** Questions to `checker` that `carrier` may answer from an earlier program go to it first. */
export function useCarrier(checker: ts.TypeChecker, carrier: Carrier): void {
  carriers.set(checker, carrier);
}

/**
 * The declaration of the signature `call` resolves to. Overload resolution is the costliest
 * question the analysis asks, and the same calls of unchanged files are asked about after every edit.
 */
export function resolvedDeclaration(call: ts.CallExpression, checker: ts.TypeChecker): ts.Declaration | undefined {
  const ask = (): ts.Declaration | undefined => checker.getResolvedSignature(call)?.getDeclaration();
  const carrier = carriers.get(checker);
  return carrier ? carrier.declaration(call, ask) : ask();
}

/** What `compute` makes of `file` (and the files it reaches), kept where a carrier keeps it. */
export function fileValue<T>(checker: ts.TypeChecker, file: ts.SourceFile, kind: object, compute: () => T): T {
  const carrier = carriers.get(checker);
  return carrier ? carrier.fileValue(file, kind, compute) : compute();
}
