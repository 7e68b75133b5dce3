/**
 * The checker answers the language server keeps from one program to the next
 * (pipeline/carried-answers.ts): an answer about a node of an unchanged file is reused while no
 * file it reaches through its imports was edited and no edit declares anything global; it is the
 * object the new program's checker would give.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ts } from 'ts-morph';
import { CarriedAnswers, type EditedFile, type ImportsOf } from '../../server/src/pipeline/carried-answers';

const ROOT = '/virtual';

/** Programs over in-memory files, each reusing the parsed files the last one had with the same text. */
class VirtualProject {
  private readonly parsed = new Map<string, ts.SourceFile>();
  private program: ts.Program | undefined;

  constructor(private readonly texts: Record<string, string>) {}

  /** A program after `edits` (file name to its new text); the files parsed anew, as an edit gives them. */
  next(edits: Record<string, string> = {}): { program: ts.Program; edited: EditedFile[] } {
    Object.assign(this.texts, edits);
    const options: ts.CompilerOptions = { noLib: true, module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
    const host = ts.createCompilerHost(options);
    host.fileExists = (fileName) => fileName.slice(ROOT.length + 1) in this.texts;
    host.readFile = (fileName) => this.texts[fileName.slice(ROOT.length + 1)];
    host.getSourceFile = (fileName) => {
      const text = this.texts[fileName.slice(ROOT.length + 1)];
      if (text === undefined) return undefined;
      const known = this.parsed.get(fileName);
      if (known?.text === text) return known;
      const sourceFile = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
      this.parsed.set(fileName, sourceFile);
      return sourceFile;
    };
    const previous = this.program;
    const roots = Object.keys(this.texts).map((name) => `${ROOT}/${name}`);
    this.program = ts.createProgram({ rootNames: roots, options, host, oldProgram: previous });
    const edited = this.program
      .getSourceFiles()
      .filter((after) => previous?.getSourceFile(after.fileName) !== after)
      .map((after) => ({ fileName: after.fileName, before: previous?.getSourceFile(after.fileName), after }));
    return { program: this.program, edited: previous ? edited : [] };
  }
}

/** What each file imports, from its import declarations (as the server's resolver gives them). */
const importsOf: ImportsOf = (file) =>
  file.statements.flatMap((statement) =>
    ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)
      ? [`${ROOT}/${statement.moduleSpecifier.text.replace('./', '')}.ts`]
      : [],
  );

/** The identifier `name` where `file` uses it last. */
function nameIn(program: ts.Program, file: string, name: string): ts.Identifier {
  const sourceFile = program.getSourceFile(`${ROOT}/${file}`)!;
  let found: ts.Identifier | undefined;
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === name) found = node;
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  assert.ok(found, `${name} in ${file}`);
  return found;
}

const FILES = {
  'rates.ts': 'export const rate = 2;\n',
  'invoice.ts':
    "import { rate } from './rates';\nexport function total(amount: number): number {\n  return amount * rate;\n}\n",
  'ledger.ts':
    'export class Ledger {\n  entries: number[] = [];\n  add(entry: number): void {\n    this.entries.push(entry);\n  }\n}\n',
  'orders.ts': 'export function place(id: string): string {\n  return id;\n}\n',
};

/** Asks through `carried`, counting the asks that reached the checker. */
function asker(carried: CarriedAnswers, program: ts.Program) {
  const checker = program.getTypeChecker();
  let asked = 0;
  return {
    answer: (node: ts.Node) =>
      carried.answer(node, () => {
        asked++;
        return checker.getSymbolAtLocation(node);
      }),
    asked: () => asked,
  };
}

describe('checker answers carried from one program to the next', () => {
  test("an unchanged file's answers are reused, and they are the new checker's own", () => {
    const project = new VirtualProject({ ...FILES });
    const carried = new CarriedAnswers();
    const first = project.next();
    carried.retain(first.program, first.edited, importsOf);
    const before = asker(carried, first.program);
    const entries = before.answer(nameIn(first.program, 'ledger.ts', 'entries'));
    assert.ok(entries);
    assert.equal(before.asked(), 1);

    const second = project.next({
      'orders.ts': 'export function place(id: string): string {\n  return `#${id}`;\n}\n',
    });
    carried.retain(second.program, second.edited, importsOf);
    const after = asker(carried, second.program);
    const node = nameIn(second.program, 'ledger.ts', 'entries');
    assert.equal(after.answer(node), entries);
    assert.equal(after.asked(), 0, 'not asked again');
    assert.equal(second.program.getTypeChecker().getSymbolAtLocation(node), entries, "the new checker's answer");
  });

  test('an answer about a file that imports an edited file is asked again', () => {
    const project = new VirtualProject({ ...FILES });
    const carried = new CarriedAnswers();
    const first = project.next();
    carried.retain(first.program, first.edited, importsOf);
    const before = asker(carried, first.program);
    before.answer(nameIn(first.program, 'invoice.ts', 'rate'));
    before.answer(nameIn(first.program, 'ledger.ts', 'entries'));

    const second = project.next({ 'rates.ts': 'export const rate = 3;\nexport const fee = 1;\n' });
    carried.retain(second.program, second.edited, importsOf);
    const after = asker(carried, second.program);
    after.answer(nameIn(second.program, 'invoice.ts', 'rate'));
    assert.equal(after.asked(), 1, 'invoice.ts imports the edited rates.ts');
    after.answer(nameIn(second.program, 'ledger.ts', 'entries'));
    assert.equal(after.asked(), 1, 'ledger.ts reaches nothing edited');
  });

  test('an edit that declares something global drops every answer', () => {
    const project = new VirtualProject({ ...FILES, 'globals.ts': 'export {};\n' });
    const carried = new CarriedAnswers();
    const first = project.next();
    carried.retain(first.program, first.edited, importsOf);
    asker(carried, first.program).answer(nameIn(first.program, 'ledger.ts', 'entries'));

    const second = project.next({ 'globals.ts': 'export {};\ndeclare global {\n  var entries: string[];\n}\n' });
    carried.retain(second.program, second.edited, importsOf);
    const after = asker(carried, second.program);
    after.answer(nameIn(second.program, 'ledger.ts', 'entries'));
    assert.equal(after.asked(), 1);
  });

  test('an edited script (a file with no import or export) drops every answer', () => {
    const project = new VirtualProject({ ...FILES, 'setup.ts': 'const started = Date.now;\n' });
    const carried = new CarriedAnswers();
    const first = project.next();
    carried.retain(first.program, first.edited, importsOf);
    asker(carried, first.program).answer(nameIn(first.program, 'ledger.ts', 'entries'));

    const second = project.next({ 'setup.ts': 'const started = 0;\n' });
    carried.retain(second.program, second.edited, importsOf);
    const after = asker(carried, second.program);
    after.answer(nameIn(second.program, 'ledger.ts', 'entries'));
    assert.equal(after.asked(), 1);
  });

  test('a file that imports by `import()` is taken to reach every edited file', () => {
    const project = new VirtualProject({
      ...FILES,
      'lazy.ts':
        "export async function load(): Promise<number> {\n  const rates = await import('./rates');\n  return rates.rate;\n}\n",
    });
    const carried = new CarriedAnswers();
    const first = project.next();
    carried.retain(first.program, first.edited, importsOf);
    asker(carried, first.program).answer(nameIn(first.program, 'lazy.ts', 'load'));

    const second = project.next({ 'orders.ts': 'export const place = (id: string): string => id;\n' });
    carried.retain(second.program, second.edited, importsOf);
    const after = asker(carried, second.program);
    after.answer(nameIn(second.program, 'lazy.ts', 'load'));
    assert.equal(after.asked(), 1);
  });

  test("a symbol the checker makes (a union's property) is not carried; a new resolver drops everything", () => {
    const project = new VirtualProject({
      ...FILES,
      'shapes.ts':
        'export function size(shape: { width: number } | { width: string }): string {\n  return `${shape.width}`;\n}\n',
    });
    const carried = new CarriedAnswers();
    const first = project.next();
    carried.retain(first.program, first.edited, importsOf);
    const before = asker(carried, first.program);
    const width = before.answer(nameIn(first.program, 'shapes.ts', 'width'));
    assert.ok(width && width.flags & ts.SymbolFlags.Transient, 'a union property is the checker’s own');
    before.answer(nameIn(first.program, 'ledger.ts', 'entries'));

    const second = project.next({ 'orders.ts': 'export const place = (id: string): string => id;\n' });
    carried.retain(second.program, second.edited, importsOf);
    const after = asker(carried, second.program);
    after.answer(nameIn(second.program, 'shapes.ts', 'width'));
    assert.equal(after.asked(), 1, 'the transient symbol is asked again');

    const third = project.next({ 'orders.ts': 'export const place = (id: string): string => `#${id}`;\n' });
    carried.retain(third.program, third.edited, (file) => importsOf(file));
    const resolved = asker(carried, third.program);
    resolved.answer(nameIn(third.program, 'ledger.ts', 'entries'));
    assert.equal(resolved.asked(), 1, 'another resolver: nothing carried');
  });
});
