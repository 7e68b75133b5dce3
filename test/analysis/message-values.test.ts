/**
 * Message-derived values (analysis/source/message-values.ts): which names read the message, and
 * that the checker is asked only about names that can refer to a marked one (docs/model.md,
 * "Message identity").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Project, ts } from 'ts-morph';
import { MessageValues } from '../../server/src/analysis/source/message-values';

const HANDLER = `
interface Job { data: { payload: { id: string; total: number } } }
const settings = { region: 'eu', retries: 3 };

export async function handle(job: Job): Promise<void> {
  const { id: eventId } = job.data.payload;
  const shorthand = { job };
  let copied = '';
  copied = eventId;
  const parts: string[] = [];
  parts.push(eventId);
  const unrelated = settings.region + settings.retries;
  console.log(shorthand, copied, parts, unrelated);
}
`;

interface Fixture {
  handler: ts.FunctionDeclaration;
  values: MessageValues;
  /** The checker the values ask (counting). */
  checker: ts.TypeChecker;
  /** The names the checker was asked to resolve, in order. */
  asked: string[];
  expression: (text: string) => ts.Expression;
}

/** The handler with `job` marked as the message, through a checker that notes what it is asked. */
function fixture(): Fixture {
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true } });
  const sourceFile = project.createSourceFile('/handler.ts', HANDLER).compilerNode;
  const checker = project.getProgram().compilerObject.getTypeChecker();
  const asked: string[] = [];
  const counting = new Proxy(checker, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'getSymbolAtLocation' || typeof member !== 'function') return member;
      return (node: ts.Node) => {
        if (ts.isIdentifier(node)) asked.push(node.text);
        return (member as (node: ts.Node) => ts.Symbol | undefined).call(target, node);
      };
    },
  });
  const handler = sourceFile.statements.find(ts.isFunctionDeclaration)!;
  const values = new MessageValues(counting);
  values.addCarrier(handler.parameters[0].name);
  values.propagateThrough(handler.body!);
  const declarations = new Map<string, ts.Expression>();
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer)
      declarations.set(node.name.text, node.initializer);
    ts.forEachChild(node, visit);
  };
  visit(handler.body!);
  const expression = (name: string): ts.Expression => {
    const found = declarations.get(name);
    assert.ok(found, `a declaration of ${name}`);
    return found;
  };
  return { handler, values, checker: counting, asked, expression };
}

/** An identifier of the handler's body by its text and occurrence. */
function identifier(handler: ts.Node, text: string, occurrence = 0): ts.Identifier {
  const found: ts.Identifier[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && node.text === text) found.push(node);
    ts.forEachChild(node, visit);
  };
  visit(handler);
  assert.ok(found[occurrence], `identifier ${text} #${occurrence}`);
  return found[occurrence];
}

describe('MessageValues', () => {
  test('marks what reads the message: a renamed destructuring, an assignment, a list pushed to, a shorthand', () => {
    const { handler, values, expression } = fixture();
    // `copied = eventId` and `parts.push(eventId)` mark them; the console.log reads them after.
    assert.equal(values.derivesFrom(identifier(handler, 'eventId', 2)), true);
    assert.equal(values.derivesFrom(identifier(handler, 'copied', 2)), true);
    assert.equal(values.derivesFrom(identifier(handler, 'parts', 2)), true);
    assert.equal(values.derivesFrom(identifier(handler, 'shorthand', 1)), true);
    assert.equal(values.carriesMessage(expression('shorthand')), true, '{ job } hands the message on');
  });

  test('what reads only configuration does not derive from the message', () => {
    const { values, expression } = fixture();
    assert.equal(values.derivesFrom(expression('unrelated')), false);
  });

  test('the checker is asked only about names a marked value has', () => {
    const { values, asked, expression } = fixture();
    asked.length = 0;
    assert.equal(values.derivesFrom(expression('unrelated')), false);
    assert.deepEqual(asked, [], 'settings.region + settings.retries names nothing marked');
    assert.equal(values.derivesFrom(expression('shorthand')), true);
    assert.deepEqual(asked, ['job']);
  });

  test("a callee's values see the caller's names (a closure reads them)", () => {
    const { handler, values, checker } = fixture();
    const callee = new MessageValues(checker, values);
    assert.equal(callee.derivesFrom(identifier(handler, 'eventId', 2)), true);
    assert.equal(callee.derivesFrom(identifier(handler, 'unrelated', 1)), false);
  });
});
