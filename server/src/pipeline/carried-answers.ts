/**
 * The checker's answers to `getSymbolAtLocation`, and values the analysis computes from a node with
 * the checker's help (analysis/source/carried.ts), kept by the language server from one program to
 * the next (EditorReportCache in pipeline/reads.ts) for the files an edit cannot change them in.
 *
 * After an edit the server makes a new program, which reuses every unchanged parsed file with its
 * bindings, and a new checker, which knows nothing yet: the analysis asks it again about the same
 * nodes of the same unchanged files (the services behind an edited controller). An answer about a
 * node of a file depends on that file, on the files it reaches through its imports, and on what
 * any file declares globally. So an answer is kept while its file is the same parsed file, no file
 * it reaches was edited, and no edited file declares anything global (a script, `declare global`,
 * `declare module`). Only answers the next checker would give as the same object are kept: none,
 * a symbol the binder made (merged and instantiated symbols are each checker's own), or a value
 * that holds only parsed files' nodes (the declaration a call resolves to, the project function it
 * calls, a file's Nest modules): whatever symbols of its own the checker made while it was
 * computed, the next checker's answers would give the same value.
 */
import { ts } from 'ts-morph';
import { perParsedFile } from '../analysis/source/ast';
import { holdsFile } from './program-files';

/** A file the new program parsed anew: as it was (absent when created) and as it is. */
export interface EditedFile {
  fileName: string;
  before?: ts.SourceFile;
  after: ts.SourceFile;
}

/** The files a parsed file's imports and re-exports resolve to (by one module resolver). */
export type ImportsOf = (file: ts.SourceFile) => readonly string[];

/** Answers about the nodes of each parsed file. */
class AnswersByFile<T> {
  private readonly byFile = new Map<ts.SourceFile, WeakMap<ts.Node, T>>();

  get size(): number {
    return this.byFile.size;
  }

  files(): IterableIterator<ts.SourceFile> {
    return this.byFile.keys();
  }

  drop(file: ts.SourceFile): void {
    this.byFile.delete(file);
  }

  clear(): void {
    this.byFile.clear();
  }

  /** The answer about `node`: the one kept, or `ask`'s, kept when `keep` says the next checker would give it too. */
  answer(node: ts.Node, ask: () => T, keep: (answer: T) => boolean): T {
    const file = node.getSourceFile();
    const kept = this.byFile.get(file);
    if (kept?.has(node)) return kept.get(node)!;
    const answer = ask();
    if (!keep(answer)) return answer;
    if (kept) kept.set(node, answer);
    else this.byFile.set(file, new WeakMap([[node, answer]]));
    return answer;
  }
}

export class CarriedAnswers {
  private readonly symbols = new AnswersByFile<ts.Symbol | undefined>();
  /** Values computed from a node, by the computation's kind (analysis/source/carried.ts). */
  private readonly values = new AnswersByFile<Map<object, unknown>>();
  private importsOf: ImportsOf | undefined;

  /**
   * Keeps the answers `program` can reuse after `edited`; `importsOf` is the resolver's (a new
   * resolver, after a file came or went or a package.json changed, may resolve imports otherwise).
   */
  retain(program: ts.Program, edited: readonly EditedFile[], importsOf: ImportsOf): void {
    if (importsOf !== this.importsOf || edited.some(({ before, after }) => declaresGlobally(before, after)))
      this.clear(importsOf);
    const tables = [this.symbols, this.values];
    if (tables.every((answers) => !answers.size) || !edited.length) return;
    const reaching = filesReaching(
      program,
      edited.map((file) => file.fileName),
      importsOf,
    );
    for (const answers of tables)
      for (const file of [...answers.files()])
        if (!holdsFile(program, file) || reaching.has(file.fileName)) answers.drop(file);
  }

  /** Drops every answer; those given from here on are made under `importsOf` (none: kept by no edit). */
  clear(importsOf?: ImportsOf): void {
    this.symbols.clear();
    this.values.clear();
    this.importsOf = importsOf;
  }

  /** The symbol at `node`: the one kept, or `ask`'s (kept when the next checker would give it too). */
  answer(node: ts.Node, ask: () => ts.Symbol | undefined): ts.Symbol | undefined {
    return this.symbols.answer(node, ask, (symbol) => !symbol || !(symbol.flags & ts.SymbolFlags.Transient));
  }

  /**
   * What `compute` makes of `node` and the files its file reaches (`kind` names the computation):
   * the value kept, or `compute`'s, kept unless `keep` says otherwise. Its nodes must be parsed
   * files' own (no symbol or type of a checker).
   */
  value<T>(node: ts.Node, kind: object, compute: () => T, keep: (value: T) => boolean = () => true): T {
    const byKind = this.values.answer(
      node,
      () => new Map<object, unknown>(),
      () => true,
    );
    if (byKind.has(kind)) return byKind.get(kind) as T;
    const value = compute();
    if (keep(value)) byKind.set(kind, value);
    return value;
  }
}

/** Whether a file, before or after its edit, adds to the global scope or to another module's. */
function declaresGlobally(...versions: (ts.SourceFile | undefined)[]): boolean {
  return versions.some(
    (file) =>
      !!file && (file.isDeclarationFile || isScript(file) || /\bdeclare\s+(?:global\b|module\s*['"])/.test(file.text)),
  );
}

/** A file that is no module: its top-level declarations are global. */
function isScript(file: ts.SourceFile): boolean {
  const commonJs = (file as { commonJsModuleIndicator?: ts.Node }).commonJsModuleIndicator;
  return !ts.isExternalModule(file) && !commonJs;
}

/**
 * Whether a file may depend on modules its import declarations do not name: `import('…')` types and
 * calls, `require(…)`, `/// <reference …>`. Such a file is taken to reach every edited file.
 */
const importsOtherwise = perParsedFile((file: ts.SourceFile): boolean =>
  /\bimport\s*\(|\brequire\s*\(|\/\/\/\s*<reference\b/.test(file.text),
);

/** The files of `program` that reach one of `edited` through their imports, directly or not. */
function filesReaching(program: ts.Program, edited: readonly string[], importsOf: ImportsOf): Set<string> {
  const importers = new Map<string, string[]>();
  const reaching = new Set<string>();
  const queue = [...edited];
  for (const file of program.getSourceFiles()) {
    if (program.isSourceFileDefaultLibrary(file)) continue;
    if (importsOtherwise(file)) {
      reaching.add(file.fileName);
      queue.push(file.fileName);
    }
    for (const target of importsOf(file)) {
      const list = importers.get(target);
      if (list) list.push(file.fileName);
      else importers.set(target, [file.fileName]);
    }
  }
  while (queue.length) {
    for (const importer of importers.get(queue.pop()!) ?? []) {
      if (reaching.has(importer)) continue;
      reaching.add(importer);
      queue.push(importer);
    }
  }
  return reaching;
}
