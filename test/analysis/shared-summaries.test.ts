/**
 * Function summaries shared by the consumers of one program (analysis/handler/summaries.ts): a
 * helper two consumers call is built once, and a consumer reuses another's build only where a
 * build of its own would give the same steps (docs/model.md, "Following the work").
 *
 * Every case runs typed (node_modules types resolve) and untyped (no node_modules at all).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ts } from 'ts-morph';
import { holdsAt, type CallPoint, type Summary } from '../../server/src/analysis/handler/summaries';
import type { FunctionWithBody } from '../../server/src/analysis/source/ast';
import type { AnalysisResult, ConsumerReport } from '../../server/src/model';
import { countBuilds } from '../helpers/flow-builds';
import { MODES, TestProject, configWith } from '../helpers/project';

/** The helpers both consumers reach: `relay` reaches the insert one call further down than `record`. */
const RECEIPTS = `import { Pool } from 'pg';

const pool = new Pool();

export async function record(receipt: { id: string }): Promise<void> {
  console.log('receipt', receipt.id);
  await pool.query('INSERT INTO receipt_log (received_at) VALUES (now())');
}

export async function relay(receipt: { id: string }): Promise<void> {
  await record({ id: receipt.id });
}
`;

/** Calls \`relay\` from the handler: with maxDepth 2 the insert is within reach. */
const NEAR = `import { Kafka } from 'kafkajs';
import { relay } from './receipts';

const consumer = new Kafka({ clientId: 'near', brokers: ['kafka:9092'] }).consumer({ groupId: 'near' });

export async function startNear(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const receipt = JSON.parse(message.value!.toString()) as { id: string };
      await relay({ id: receipt.id });
    },
  });
}
`;

/** Reaches \`relay\` one call deeper: with maxDepth 2 its insert is past the limit. */
const FAR = `import { Kafka } from 'kafkajs';
import { relay } from './receipts';

const consumer = new Kafka({ clientId: 'far', brokers: ['kafka:9092'] }).consumer({ groupId: 'far' });

async function forward(receipt: { id: string }): Promise<void> {
  await relay({ id: receipt.id });
}

export async function startFar(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const receipt = JSON.parse(message.value!.toString()) as { id: string };
      await forward({ id: receipt.id });
    },
  });
}
`;

/** A kafkajs consumer in its own group whose handler runs `body` on the parsed message `order`. */
function consumerCalling(group: string, imports: string, body: string): string {
  return `import { Kafka } from 'kafkajs';
${imports}

const consumer = new Kafka({ clientId: '${group}', brokers: ['kafka:9092'] }).consumer({ groupId: '${group}' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; total: number; parts: [] };
      ${body}
    },
  });
}
`;
}

/** \`archive\` passes its parameter on to a helper that only formats it: no call's argument changes its steps. */
const ARCHIVE = `import { Pool } from 'pg';

const pool = new Pool();

function describeOrder(order: { id: string }): string {
  return \`order \${order.id}\`;
}

export async function archive(order: { id: string }): Promise<void> {
  console.log(describeOrder(order));
  await pool.query('INSERT INTO archive (archived_at) VALUES (now())');
}
`;

/** \`recordPart\` and \`recordChildren\` call each other: the cycle closes inside recordPart's build. */
const PARTS = `import { Pool } from 'pg';

const pool = new Pool();

interface Part {
  id: string;
  total: number;
  parts: Part[];
}

export async function recordPart(part: Part): Promise<void> {
  await pool.query('INSERT INTO parts (total) VALUES ($1)', [part.total]);
  await recordChildren(part);
}

export async function recordChildren(part: Part): Promise<void> {
  for (const child of part.parts) await recordPart(child);
}
`;

/** \`saveOrder\` passes its args to \`createOrder\`, whose create reads them: keyed or not is the caller's. */
const ORDERS_DB = `import { PrismaClient } from '@prisma/client';

const prisma = new PrismaClient();

export async function createOrder(args: { data: { id?: string; total: number } }) {
  return prisma.order.create(args);
}

export async function saveOrder(args: { data: { id?: string; total: number } }) {
  return createOrder(args);
}
`;

/** Analyses the files written but `helpers`, counting the builds of each function's steps. */
function analyzeCountingBuilds(
  project: TestProject,
  files: string[],
  helpers: string,
): { result: AnalysisResult; builds: Map<string, number> } {
  const counter = countBuilds();
  try {
    return { result: project.analyze(files.filter((file) => !file.endsWith(helpers))), builds: counter.builds };
  } finally {
    counter.restore();
  }
}

function consumerIn(result: AnalysisResult, file: string): ConsumerReport {
  const found = result.consumers.filter((consumer) => consumer.registration.location.filePath.endsWith(`/${file}`));
  assert.equal(found.length, 1, `one consumer in ${file}`);
  return found[0];
}

function rulesIn(result: AnalysisResult, file: string): string[] {
  return result.findings
    .filter((finding) => finding.location.filePath.endsWith(`/${file}`))
    .map((finding) => finding.ruleId)
    .sort();
}

for (const mode of MODES) {
  describe(`shared function summaries (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'shared-summaries');
    });
    after(() => project.remove());

    test('a helper two consumers call is built once, and both report its insert', () => {
      const files = project.write({ 'receipts.ts': RECEIPTS, 'near.ts': NEAR, 'far.ts': FAR });
      const { result, builds } = analyzeCountingBuilds(project, files, 'receipts.ts');
      assert.deepEqual(rulesIn(result, 'near.ts'), ['missing-event-id-check']);
      assert.deepEqual(rulesIn(result, 'far.ts'), ['missing-event-id-check']);
      assert.equal(builds.get('relay'), 1);
      assert.equal(builds.get('record'), 1);
    });

    test('a helper that passes its parameter on is built once when no build reads what a call passed', () => {
      const files = project.write({
        'archive.ts': ARCHIVE,
        'shipping.ts': consumerCalling('shipping', "import { archive } from './archive';", 'await archive(order);'),
        'billing.ts': consumerCalling(
          'billing',
          "import { archive } from './archive';",
          'await archive({ id: order.id });',
        ),
      });
      const { result, builds } = analyzeCountingBuilds(project, files, 'archive.ts');
      assert.deepEqual(rulesIn(result, 'shipping.ts'), ['missing-event-id-check']);
      assert.deepEqual(rulesIn(result, 'billing.ts'), ['missing-event-id-check']);
      assert.equal(builds.get('archive'), 1);
    });

    test('a function a recursion enters is built once; the function inside the cycle is built per consumer', () => {
      const calling = (group: string, helper: string) =>
        consumerCalling(group, `import { ${helper} } from './parts';`, `await ${helper}(order);`);
      const files = project.write({
        'parts.ts': PARTS,
        'assembly.ts': calling('assembly', 'recordPart'),
        'repair.ts': calling('repair', 'recordPart'),
        'stock.ts': calling('stock', 'recordChildren'),
      });
      const { result, builds } = analyzeCountingBuilds(project, files, 'parts.ts');
      for (const file of ['assembly.ts', 'repair.ts', 'stock.ts'])
        assert.deepEqual(rulesIn(result, file), ['missing-event-id-check'], file);
      // assembly.ts builds both; repair.ts reuses recordPart whole; stock.ts enters the cycle at
      // recordChildren, where recordPart's build (which cut the cycle at recordPart) does not hold.
      assert.equal(builds.get('recordPart'), 2);
      assert.equal(builds.get('recordChildren'), 2);
    });

    test("a helper that read what its caller's call passed is built again at the caller's next call", () => {
      const files = project.write({
        'orders-db.ts': ORDERS_DB,
        'checkout.ts': consumerCalling(
          'checkout',
          "import { saveOrder } from './orders-db';",
          `await saveOrder({ data: { id: order.id, total: order.total } });
      await saveOrder({ data: { total: order.total } });`,
        ),
      });
      const result = project.analyze(files.filter((file) => file.endsWith('checkout.ts')));
      const creates = consumerIn(result, 'checkout.ts')
        .effects.filter((effect) => effect.location.filePath.endsWith('/orders-db.ts'))
        .map((effect) => `${effect.chain[0]?.location.line}: keyed ${effect.keyedByMessage}`)
        .sort();
      // The first call passes the message's ID as the row's key; the second passes none.
      assert.deepEqual(creates, ['10: keyed true', '11: keyed false']);
      assert.deepEqual(rulesIn(result, 'checkout.ts'), ['missing-event-id-check']);
    });

    test("a helper built by one consumer is not reused where another's depth limit cuts inside it", () => {
      const files = project.write({ 'receipts.ts': RECEIPTS, 'near.ts': NEAR, 'far.ts': FAR });
      // near.ts is analysed first: its build of relay() reaches the insert two calls down.
      const result = project.analyze(
        files.filter((file) => !file.endsWith('receipts.ts')),
        configWith({ maxDepth: 2 }),
      );
      assert.deepEqual(rulesIn(result, 'near.ts'), ['missing-event-id-check']);
      const far = consumerIn(result, 'far.ts');
      assert.ok(
        far.partial?.some((reason) => /record\(\) is more than 2 calls deep/.test(reason)),
        `far.ts is partial past the limit: ${JSON.stringify(far.partial)}`,
      );
      assert.deepEqual(rulesIn(result, 'far.ts'), []);
    });
  });
}

describe('holdsAt: where another consumer may reuse a summary', () => {
  const fn = (name: string): FunctionWithBody => ({ name }) as unknown as FunctionWithBody;
  const helper = fn('helper');
  const inner = fn('inner');
  const summary: Summary = {
    steps: [],
    dependencies: {
      entered: new Set([helper, inner]),
      deepest: 2,
      ownConsumer: false,
      argumentLevels: 0,
      cycleLevels: 0,
    },
    ticks: 10,
    copied: 50,
  };
  const point = (overrides: Partial<CallPoint> = {}): CallPoint => ({
    depth: 1,
    maxDepth: 8,
    stack: [fn('handler')],
    bound: [],
    copyable: 1_000,
    ...overrides,
  });

  test('holds where the calls below fit the depth limit and nothing it entered is under way', () => {
    assert.equal(holdsAt(summary, point()), true);
    assert.equal(holdsAt(summary, point({ depth: 6 })), true);
  });

  test('not where the depth limit would cut below it', () => {
    assert.equal(holdsAt(summary, point({ depth: 7 })), false);
  });

  test('not where a function it entered is under way (its cycle would be cut)', () => {
    assert.equal(holdsAt(summary, point({ stack: [fn('handler'), inner] })), false);
  });

  test('not where its copies pass what the consumer may still copy', () => {
    assert.equal(holdsAt(summary, point({ copyable: 49 })), false);
  });

  test('not where the consumer binds a parameter or call inside a function it entered', () => {
    const file = {};
    const body = { pos: 10, end: 90, getSourceFile: () => file } as unknown as FunctionWithBody;
    const parameter = { pos: 20, end: 30, getSourceFile: () => file } as unknown as ts.Node;
    const elsewhere = { pos: 120, end: 130, getSourceFile: () => file } as unknown as ts.Node;
    const entered: Summary = { ...summary, dependencies: { ...summary.dependencies, entered: new Set([body]) } };
    assert.equal(holdsAt(entered, point({ bound: [parameter] })), false);
    assert.equal(holdsAt(entered, point({ bound: [elsewhere] })), true);
  });
});
