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
import { EditorReportCache, ReadRecorder } from '../../server/src/pipeline/reads';
import { calledFunction } from '../../server/src/analysis/source/symbols';
import { resolvedDeclaration } from '../../server/src/analysis/source/carried';

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
    host.directoryExists = (directory) => directory === ROOT || directory.startsWith(`${ROOT}/`);
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

/** The call of `name` (`store.add(1)` for `add`) in `file`. */
function callOf(program: ts.Program, file: string, name: string): ts.CallExpression {
  const call = nameIn(program, file, name).parent.parent;
  assert.ok(ts.isCallExpression(call), `a call of ${name} in ${file}`);
  return call;
}

const FILES = {
  'rates.ts': 'export const rate = 2;\n',
  'invoice.ts':
    "import { rate } from './rates';\nexport function total(amount: number): number {\n  return amount * rate;\n}\n",
  'ledger.ts':
    'export class Ledger {\n  entries: number[] = [];\n  add(entry: number): void {\n    this.entries.push(entry);\n  }\n}\n',
  'orders.ts': 'export function place(id: string): string {\n  return id;\n}\n',
  // A call through the project's own interface: which method runs is the resolved signature's.
  'store.ts': 'export interface Store {\n  add(entry: number): void;\n}\n',
  'billing.ts':
    "import type { Store } from './store';\nexport function bill(store: Store): void {\n  store.add(1);\n}\n",
};

/** `box.open()` on a `Box<number>`: `open` is an instantiated member, a symbol the checker makes. */
const BOX_FILES = {
  'box.ts': 'export class Box<T> {\n  constructor(private item: T) {}\n  open(): T {\n    return this.item;\n  }\n}\n',
  'unpack.ts':
    "import type { Box } from './box';\nexport function unpack(box: Box<number>): number {\n  return box.open();\n}\n",
};

/** Calls `count` whenever `program`'s own checker is asked for a symbol (past any carried answer). */
function countSymbolAsks(program: ts.Program, count: () => void): void {
  const checker = program.getTypeChecker();
  const symbolAt = checker.getSymbolAtLocation.bind(checker);
  checker.getSymbolAtLocation = (node) => {
    count();
    return symbolAt(node);
  };
}

/** One server's programs: each edit makes the next, and the answers are carried over to it. */
class Session {
  private readonly carried = new CarriedAnswers();
  private current!: { program: ts.Program; edited: EditedFile[] };
  /** The asks that reached a checker so far. */
  asks = 0;

  constructor(private readonly project: VirtualProject) {
    this.edit({});
  }

  get program(): ts.Program {
    return this.current.program;
  }

  /** The next program, with `edits` (file name to new text), seen through `imports` (a module resolver's). */
  edit(edits: Record<string, string>, imports: ImportsOf = importsOf): void {
    this.current = this.project.next(edits);
    this.carried.retain(this.current.program, this.current.edited, imports);
  }

  /** The symbol `name` (where `file` uses it last) stands for, in the current program. */
  ask(file: string, name: string): ts.Symbol | undefined {
    const node = nameIn(this.program, file, name);
    const checker = this.program.getTypeChecker();
    return this.carried.answer(node, () => {
      this.asks++;
      return checker.getSymbolAtLocation(node);
    });
  }

  /** The declaration the call of `name` in `file` resolves to, in the current program. */
  declarationOf(file: string, name: string): ts.Declaration | undefined {
    const call = callOf(this.program, file, name);
    const checker = this.program.getTypeChecker();
    return this.carried.value(call, resolvedDeclaration, () => {
      this.asks++;
      return checker.getResolvedSignature(call)?.getDeclaration();
    });
  }

  /** How many of the asks about `name` in `file` reach the checker after `edits`. */
  asksAfter(edits: Record<string, string>, file: string, name: string, imports?: ImportsOf): number {
    this.edit(edits, imports);
    const before = this.asks;
    this.ask(file, name);
    return this.asks - before;
  }
}

const PLACE_EDITED = { 'orders.ts': 'export const place = (id: string): string => `#${id}`;\n' };

/** Edits after which no answer is carried, and the answer asked about before and after. */
const DROPPING_EDITS: {
  name: string;
  files: Record<string, string>;
  edits: Record<string, string>;
  ask: [string, string];
}[] = [
  {
    name: 'an edit that declares something global drops every answer',
    files: { 'globals.ts': 'export {};\n' },
    edits: { 'globals.ts': 'export {};\ndeclare global {\n  var entries: string[];\n}\n' },
    ask: ['ledger.ts', 'entries'],
  },
  {
    name: 'an edited script (a file with no import or export) drops every answer',
    files: { 'setup.ts': 'const started = Date.now;\n' },
    edits: { 'setup.ts': 'const started = 0;\n' },
    ask: ['ledger.ts', 'entries'],
  },
  {
    name: 'a file that imports by `import()` is taken to reach every edited file',
    files: {
      'lazy.ts':
        "export async function load(): Promise<number> {\n  const rates = await import('./rates');\n  return rates.rate;\n}\n",
    },
    edits: PLACE_EDITED,
    ask: ['lazy.ts', 'load'],
  },
];

describe('checker answers carried from one program to the next', () => {
  test("an unchanged file's answers are reused, and they are the new checker's own", () => {
    const session = new Session(new VirtualProject({ ...FILES }));
    const entries = session.ask('ledger.ts', 'entries');
    assert.ok(entries);
    assert.equal(session.asksAfter(PLACE_EDITED, 'ledger.ts', 'entries'), 0, 'not asked again');
    assert.equal(session.ask('ledger.ts', 'entries'), entries);
    const node = nameIn(session.program, 'ledger.ts', 'entries');
    assert.equal(session.program.getTypeChecker().getSymbolAtLocation(node), entries, "the new checker's answer");
  });

  test('an answer about a file that imports an edited file is asked again', () => {
    const session = new Session(new VirtualProject({ ...FILES }));
    session.ask('invoice.ts', 'rate');
    session.ask('ledger.ts', 'entries');
    const edit = { 'rates.ts': 'export const rate = 3;\nexport const fee = 1;\n' };
    assert.equal(session.asksAfter(edit, 'invoice.ts', 'rate'), 1, 'invoice.ts imports the edited rates.ts');
    const before = session.asks;
    session.ask('ledger.ts', 'entries');
    assert.equal(session.asks, before, 'ledger.ts reaches nothing edited');
  });

  for (const { name, files, edits, ask } of DROPPING_EDITS)
    test(name, () => {
      const session = new Session(new VirtualProject({ ...FILES, ...files }));
      session.ask(...ask);
      assert.equal(session.asksAfter(edits, ...ask), 1);
    });

  test("a symbol the checker makes (a union's property) is not carried; a new resolver drops everything", () => {
    const session = new Session(
      new VirtualProject({
        ...FILES,
        'shapes.ts':
          'export function size(shape: { width: number } | { width: string }): string {\n  return `${shape.width}`;\n}\n',
      }),
    );
    const width = session.ask('shapes.ts', 'width');
    assert.ok(width && width.flags & ts.SymbolFlags.Transient, "a union property is the checker's own");
    session.ask('ledger.ts', 'entries');
    assert.equal(session.asksAfter(PLACE_EDITED, 'shapes.ts', 'width'), 1, 'the union property is asked again');
    const otherResolver: ImportsOf = (file) => importsOf(file);
    const edit = { 'orders.ts': 'export const place = (id: string): string => id;\n' };
    assert.equal(session.asksAfter(edit, 'ledger.ts', 'entries', otherResolver), 1, 'nothing carried');
  });
  test("a call's resolved declaration is carried while its file reaches nothing edited", () => {
    const session = new Session(new VirtualProject({ ...FILES }));
    const declaration = session.declarationOf('billing.ts', 'add');
    assert.ok(declaration && ts.isMethodSignature(declaration));
    session.edit(PLACE_EDITED);
    const before = session.asks;
    assert.equal(session.declarationOf('billing.ts', 'add'), declaration, 'the same declaration node');
    assert.equal(session.asks, before, 'not asked again');
    const call = callOf(session.program, 'billing.ts', 'add');
    assert.equal(session.program.getTypeChecker().getResolvedSignature(call)?.getDeclaration(), declaration);
    session.edit({ 'store.ts': 'export interface Store {\n  add(entry: number, note?: string): void;\n}\n' });
    session.declarationOf('billing.ts', 'add');
    assert.equal(session.asks, before + 1, 'billing.ts imports the edited store.ts');
  });

  test("the server's analysis asks the next checker to resolve a call only where an edit reached it", () => {
    const project = new VirtualProject({ ...FILES });
    const carried = new CarriedAnswers();
    let resolutions = 0;
    const resolveAdd = (edits: Record<string, string>): void => {
      const { program, edited } = project.next(edits);
      carried.retain(program, edited, importsOf);
      const checker = program.getTypeChecker();
      const resolve = checker.getResolvedSignature.bind(checker);
      checker.getResolvedSignature = (...args) => {
        resolutions++;
        return resolve(...args);
      };
      const recording = new ReadRecorder().recording(program, carried);
      calledFunction(callOf(program, 'billing.ts', 'add'), recording.getTypeChecker());
    };
    resolveAdd({});
    assert.equal(resolutions, 1);
    resolveAdd(PLACE_EDITED);
    assert.equal(resolutions, 1, 'orders.ts does not reach billing.ts');
    resolveAdd({ 'store.ts': 'export interface Store {\n  add(entry: number, note?: string): void;\n}\n' });
    assert.equal(resolutions, 2, 'store.ts does');
  });
  test('the function a call on an instantiated type invokes is carried: the next checker is not asked about it', () => {
    // `box.open()` on a `Box<number>`: `open` is an instantiated member, a symbol the checker makes,
    // which is not carried; the function the call runs (the method's declaration) is.
    const project = new VirtualProject({ ...FILES, ...BOX_FILES });
    const carried = new CarriedAnswers();
    let asks = 0;
    const openIn = (edits: Record<string, string>): ts.Node | undefined => {
      const { program, edited } = project.next(edits);
      carried.retain(program, edited, importsOf);
      countSymbolAsks(program, () => asks++);
      const recording = new ReadRecorder().recording(program, carried);
      return calledFunction(callOf(program, 'unpack.ts', 'open'), recording.getTypeChecker());
    };
    const open = openIn({});
    assert.ok(open && ts.isMethodDeclaration(open), 'the method of Box');
    const first = asks;
    assert.ok(first > 0);
    assert.equal(openIn(PLACE_EDITED), open, 'the same declaration node');
    assert.equal(asks, first, 'orders.ts does not reach unpack.ts: nothing asked');
    const edited = openIn({
      'box.ts':
        'export class Box<T> {\n  constructor(private item: T) {}\n  open(): T {\n    return this.item!;\n  }\n}\n',
    });
    assert.ok(edited && edited !== open && ts.isMethodDeclaration(edited), "the edited file's method");
    assert.ok(asks > first, 'unpack.ts imports the edited box.ts: asked again');
  });

  test("a change of delivery-lint's config keeps the checker's answers (they do not depend on it)", () => {
    // The editor's settings arrive while the server analyses its first files: the answers made
    // then are still good for the next edit.
    const project = new VirtualProject({ ...FILES, ...BOX_FILES });
    const reports = new EditorReportCache();
    let asks = 0;
    const openUnder = (edits: Record<string, string>, config: object): ts.Node | undefined => {
      const { program } = project.next(edits);
      countSymbolAsks(program, () => asks++);
      const recording = reports.begin(program, config, importsOf);
      return calledFunction(callOf(recording, 'unpack.ts', 'open'), recording.getTypeChecker());
    };
    const open = openUnder({}, { rules: {} });
    const first = asks;
    assert.ok(open && first > 0);
    assert.equal(openUnder(PLACE_EDITED, { rules: { 'unsettled-message': 'off' } }), open);
    assert.equal(asks, first, 'nothing asked again under the new config');
  });

  test('a value computed from a file is kept while the file reaches nothing edited', () => {
    const project = new VirtualProject({ ...FILES });
    const carried = new CarriedAnswers();
    let computed = 0;
    const KIND = {};
    const totalIn = (edits: Record<string, string>): void => {
      const { program, edited } = project.next(edits);
      carried.retain(program, edited, importsOf);
      carried.value(program.getSourceFile(`${ROOT}/invoice.ts`)!, KIND, () => ++computed);
    };
    totalIn({});
    totalIn(PLACE_EDITED);
    assert.equal(computed, 1, 'invoice.ts does not reach orders.ts');
    totalIn({ 'rates.ts': 'export const rate = 3;\n' });
    assert.equal(computed, 2, 'invoice.ts imports rates.ts');
  });
});
