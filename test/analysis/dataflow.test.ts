/**
 * The dataflow over a handler (server/src/analysis/dataflow): its cost and its answers do not
 * depend on the number of paths, a call it cannot follow is an unknown step on that path (not the
 * end of the analysis), and the facts it gives keep a witness path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ts } from 'ts-morph';
import type { AnalysisResult, ConsumerReport } from '../../server/src/model';
import { PATH_SAMPLE_CAP } from '../../server/src/analysis/dataflow/paths';
import { type Domain, type ExitMark, walk } from '../../server/src/analysis/dataflow/walker';
import { OccurrenceRegistry } from '../../server/src/analysis/dataflow/occurrences';
import type { FunctionText, Step, Truth } from '../../server/src/analysis/handler/steps';
import { MODES, TestProject, configWith } from '../helpers/project';

/** A kafkajs handler whose body is `count` independent optional inserts (no key from the message): 2^count paths. */
function fanOut(count: number): string {
  const branches = Array.from(
    { length: count },
    (_, index) =>
      `      if (event.f${index}) {\n        await pool.query('INSERT INTO t${index} (created_at) VALUES (now())');\n      }`,
  ).join('\n');
  return `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'fan', brokers: ['kafka:9092'] }).consumer({ groupId: 'fan' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString()) as Record<string, string>;
${branches}
    },
  });
}
`;
}

/** A handler with a dozen in-memory checks around its writes: none of them is a guard. */
const IN_MEMORY_CHECKS = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const seen = new Set<string>();
const consumer = new Kafka({ clientId: 'mem', brokers: ['kafka:9092'] }).consumer({ groupId: 'mem' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const event = JSON.parse(message.value!.toString()) as { id: string; items: string[] };
${Array.from({ length: 12 }, (_, index) => `      if (seen.has(event.items[${index}])) {\n        console.log('item ${index} seen');\n      } else {\n        seen.add(event.items[${index}]);\n      }`).join('\n')}
      await pool.query('INSERT INTO audit (at) VALUES (now())');
    },
  });
}
`;

/**
 * Helpers that each call the next on both sides of a branch: every call site gets its own copy of
 * the callee's steps, 2^depth in all. Called after an unguarded write.
 */
function doublingChain(depth: number): string {
  const helpers = Array.from({ length: depth }, (_, index) => {
    const body =
      index === depth - 1
        ? `  await pool.query('INSERT INTO audit (tag) VALUES ($1)', [tag]);`
        : `  if (tag.length > ${index}) await step${index + 1}(tag);\n  else await step${index + 1}(tag + '!');`;
    return `async function step${index}(tag: string): Promise<void> {\n${body}\n}`;
  }).join('\n\n');
  return helperChainConsumer(
    'amqp',
    helpers,
    `await step0(msg.content.toString());
    channel.ack(msg);`,
  );
}

/** An amqplib consumer that writes, then calls into `helpers` as `call` says. */
function helperChainConsumer(amqpImport: string, helpers: string, call: string): string {
  return `import ${amqpImport} from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

${helpers}

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    await pool.query('INSERT INTO audit (at) VALUES (now())');
    ${call}
  });
}
`;
}

/** A chain of helpers deeper than maxDepth, called after a write and before the ack. */
function deepChain(depth: number, settleInside: boolean): string {
  const helpers = Array.from({ length: depth }, (_, index) => {
    const body =
      index === depth - 1
        ? settleInside
          ? '  channel.ack(msg);'
          : '  console.log(msg.fields.deliveryTag);'
        : `  await level${index + 1}(channel, msg);`;
    return `async function level${index}(channel: Channel, msg: ConsumeMessage): Promise<void> {\n${body}\n}`;
  }).join('\n\n');
  return helperChainConsumer('amqp, { type Channel, type ConsumeMessage }', helpers, 'await level0(channel, msg);');
}

/**
 * Whether to skip the message is decided by a helper chain that ends in a call to another service;
 * `maxDepth` cuts the chain inside the condition, so what it does is unseen.
 */
const DEEP_CONDITION = `import { Kafka } from 'kafkajs';
import { Pool } from 'pg';

const pool = new Pool();
const consumer = new Kafka({ clientId: 'deep', brokers: ['kafka:9092'] }).consumer({ groupId: 'deep' });
declare const ledger: { lookup(id: string): Promise<{ settled: boolean }> };

async function skip2(id: string): Promise<boolean> {
  await pool.query('UPDATE lookups SET count = count + 1');
  return (await ledger.lookup(id)).settled;
}
async function skip1(id: string): Promise<boolean> { return skip2(id); }
async function skip0(id: string): Promise<boolean> { return skip1(id); }

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      const id = message.headers!['event-id']!.toString();
      if (await skip0(id)) return;
      await pool.query('INSERT INTO audit (at) VALUES (now())');
    },
  });
}
`;

/** An amqplib consumer of 'orders' whose callback parses `event` and then runs `body`. */
function ordersConsumer(eventFields: string, helpers: string, body: string): string {
  return `import amqp from 'amqplib';
import { Pool } from 'pg';

interface OrderEvent { ${eventFields} }
const pool = new Pool();

${helpers}
export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://localhost');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const event = JSON.parse(msg.content.toString()) as OrderEvent;
${body}
  });
}
`;
}

/**
 * An amqplib handler calling `count` helpers, each with an optional entity check and a try whose
 * catch rethrows one error code: the paths' exits, catches and checks multiply (count^3 and more
 * typestates when every detail is kept apart).
 */
function catchingHelpers(count: number): string {
  const helpers = Array.from(
    { length: count },
    (_, index) => `async function step${index}(event: OrderEvent): Promise<void> {
  if (event.check${index}) {
    const existing = await pool.query('SELECT 1 FROM done${index} WHERE order_id = $1', [event.orderId]);
    if (existing.rowCount) return;
  }
  try {
    await pool.query('UPDATE stock${index} SET count = count - 1 WHERE sku = $1', [event.sku]);
  } catch (error) {
    if ((error as { code?: string }).code === '40001') throw new Error('step${index}: serialization failure');
  }
}
`,
  ).join('\n');
  const calls = Array.from({ length: count }, (_, index) => `      await step${index}(event);`).join('\n');
  return ordersConsumer(
    'orderId: string; sku: string; [flag: string]: string',
    helpers,
    `    try {
${calls}
    } catch (error) {
      channel.nack(msg);
      return;
    }
    channel.ack(msg);`,
  );
}

/** The order is stored before the outer try; `inner` puts a try of its own first inside it. */
function tryAfterProcessing(inner: boolean): string {
  const mail = inner
    ? `      try {
        await fetch('https://mail.example.com/send', { method: 'POST', body: event.email });
      } catch (error) {
        console.warn('mail failed', error);
      }
`
    : '';
  return ordersConsumer(
    'orderId: string; email: string',
    '',
    `    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [event.orderId]);
    try {
${mail}      await fetch('https://hooks.example.com/order', { method: 'POST', body: event.orderId });
    } catch (error) {
      console.warn('webhook failed', error);
    }
    channel.ack(msg);`,
  );
}

/**
 * A helper that tries `count` optional field checks, each with its own catch, then calls billing
 * through `.catch(log)` and throws when the call gave nothing: every path that reaches the test
 * carries a different last catch, and only the failure path knows the result is empty.
 */
function manyCatchesThenKeptResult(count: number): string {
  const checks = Array.from(
    { length: count },
    (_, index) => `  try {
    requireField(event, 'f${index}');
  } catch (error) {
    console.warn('optional field f${index} missing', error);
  }`,
  ).join('\n');
  return ordersConsumer(
    'orderId: string; [field: string]: unknown',
    `function requireField(event: OrderEvent, field: string): void {
  if (event[field] === undefined) throw new Error(\`missing \${field}\`);
}

async function charge(event: OrderEvent): Promise<void> {
${checks}
  const response = await fetch('https://billing.example.com/charge', { method: 'POST', body: event.orderId }).catch(
    (error) => {
      console.error('billing failed', error);
    },
  );
  if (!response) throw new Error('billing failed');
}
`,
    `    try {
      await charge(event);
      channel.ack(msg);
    } catch (error) {
      channel.nack(msg);
    }`,
  );
}

function onlyConsumer(result: AnalysisResult): ConsumerReport {
  assert.equal(result.consumers.length, 1, `expected one consumer, got ${result.consumers.length}`);
  return result.consumers[0];
}

function rules(result: AnalysisResult): string[] {
  return result.findings.map((finding) => finding.ruleId).sort();
}

for (const mode of MODES) {
  describe(`the dataflow over a handler (${mode})`, () => {
    let project: TestProject;
    before(() => {
      project = new TestProject(mode, 'dataflow');
    });
    after(() => project.remove());

    test('24 independent optional inserts (2^24 paths): analysed in full, every insert unprotected', () => {
      const files = project.write({ 'fan-out.ts': fanOut(24) });
      const result = project.analyze(files);
      const consumer = onlyConsumer(result);
      assert.equal(consumer.incomplete, undefined);
      assert.deepEqual(rules(result), ['missing-event-id-check']);
      const finding = result.findings[0];
      // Every one of the 24 inserts is named as an unprotected effect.
      assert.equal(finding.related.filter((related) => /^INSERT INTO t\d+:/.test(related.message)).length, 24);
    });

    test('a dozen in-memory Set.has() checks do not split the analysis, and are not guards', () => {
      const files = project.write({ 'in-memory.ts': IN_MEMORY_CHECKS });
      const result = project.analyze(files);
      const consumer = onlyConsumer(result);
      assert.equal(consumer.incomplete, undefined);
      assert.deepEqual(rules(result), ['missing-event-id-check']);
    });

    test('a call chain deeper than maxDepth is an unknown step: partial, not incomplete, and the rest is still judged', () => {
      const files = project.write({ 'deep.ts': deepChain(6, false) });
      const result = project.analyze(files, configWith({ maxDepth: 3 }));
      const consumer = onlyConsumer(result);
      assert.equal(consumer.incomplete, undefined);
      assert.ok(
        consumer.partial?.some((reason) => /level\d\(\) is more than 3 calls deep/.test(reason)),
        `partial: ${consumer.partial?.join('; ')}`,
      );
      // The insert before the unseen call is unprotected: that evidence is complete.
      assert.ok(rules(result).includes('missing-event-id-check'), rules(result).join(', '));
      // Whether the message is settled on that path is unseen: unsettled-message stays quiet.
      assert.ok(!rules(result).includes('unsettled-message'), rules(result).join(', '));
    });

    test('the same chain within maxDepth is followed to its ack', () => {
      const files = project.write({ 'shallow.ts': deepChain(6, true) });
      const result = project.analyze(files, configWith({ maxDepth: 10 }));
      const consumer = onlyConsumer(result);
      assert.equal(consumer.partial, undefined);
      assert.equal(consumer.settles.length, 1);
      assert.ok(!rules(result).includes('unsettled-message'));
    });

    test('by default a chain of 30 helpers is followed to its ack, as real call chains are', () => {
      const files = project.write({ 'thirty.ts': deepChain(30, true) });
      const result = project.analyze(files);
      const consumer = onlyConsumer(result);
      assert.equal(consumer.partial, undefined);
      assert.equal(consumer.settles.length, 1);
    });

    test('helpers that each call the next twice stop being followed, not the analysis: partial, and the rest judged', () => {
      const files = project.write({ 'doubling.ts': doublingChain(24) });
      const result = project.analyze(files);
      const consumer = onlyConsumer(result);
      assert.equal(consumer.incomplete, undefined);
      assert.ok(
        consumer.partial?.some((reason) =>
          /was not followed: the handler's calls, each followed where it is made, add up to more than/.test(reason),
        ),
        `partial: ${consumer.partial?.join('; ')}`,
      );
      // The insert before the doubling calls is unprotected: that evidence is complete.
      assert.ok(rules(result).includes('missing-event-id-check'), rules(result).join(', '));
    });

    test('an unseen call that decides a branch may be a dedup check: the writes after it are not reported', () => {
      const files = project.write({ 'deep-condition.ts': DEEP_CONDITION });
      // Followed in full, the helpers hold no check: both relative writes are unprotected.
      const seen = project.analyze(files, configWith({ maxDepth: 8 }));
      assert.equal(onlyConsumer(seen).partial, undefined);
      assert.deepEqual(rules(seen), ['missing-event-id-check']);
      // Cut inside the condition: the dedup rules cannot tell whether the insert is protected.
      const cut = project.analyze(files, configWith({ maxDepth: 2 }));
      assert.ok(
        onlyConsumer(cut).partial?.some((reason) => reason.startsWith('skip2()')),
        onlyConsumer(cut).partial?.join('; '),
      );
      assert.deepEqual(rules(cut), []);
    });

    test('helpers whose exits, catches and checks multiply: analysed in full, each helper judged', () => {
      const files = project.write({ 'catching-helpers.ts': catchingHelpers(30) });
      const result = project.analyze(files);
      const consumer = onlyConsumer(result);
      assert.equal(consumer.incomplete, undefined);
      assert.equal(consumer.partial, undefined);
      const count = (ruleId: string): number => result.findings.filter((finding) => finding.ruleId === ruleId).length;
      assert.equal(count('non-idempotent-handler'), 30, 'every relative stock update');
      assert.equal(count('swallowed-failure-ack'), 1, 'a caught failure that is not rethrown, then the ack');
    });

    test('a result kept from a .catch() is still known after many catches: the failure it hands on is not swallowed', () => {
      // 18 earlier catches keep 19 paths apart by where they were last caught; only the billing
      // failure knows \`response\` is empty, so only it takes the throw to the nack.
      for (const count of [3, 18]) {
        const files = project.write({ [`kept-result-${count}.ts`]: manyCatchesThenKeptResult(count) });
        const result = project.analyze(files);
        assert.equal(onlyConsumer(result).incomplete, undefined);
        assert.deepEqual(rules(result), ['missing-event-id-check'], `${count} earlier catches`);
      }
    });

    test('the crash timeline of a handler with more paths than the cap follows a sample of them', () => {
      for (const [name, source] of [
        ['fan-out-sample.ts', fanOut(24)],
        ['catching-sample.ts', catchingHelpers(30)],
      ]) {
        const consumer = onlyConsumer(project.analyze(project.write({ [name]: source })));
        assert.equal(consumer.pathsSampled, true, name);
        assert.ok(
          consumer.paths.length > 0 && consumer.paths.length <= 4 * PATH_SAMPLE_CAP,
          `${name}: ${consumer.paths.length}`,
        );
        assert.ok((consumer.timeline?.steps.length ?? 0) > 0, `${name}: a timeline`);
      }
    });

    test('a consumer over its state budget is incomplete with the reason: its rules stay quiet', () => {
      const files = project.write({ 'over-budget.ts': fanOut(6) });
      const result = project.analyze(files, configWith(), { budget: { milliseconds: 60_000, states: 20 } });
      assert.match(onlyConsumer(result).incomplete ?? '', /more states than the analysis follows \(20\)/);
      assert.deepEqual(rules(result), []);
    });

    test('a budget that runs out while the timeline is sampled keeps the findings, without the timeline', () => {
      const files = project.write({ 'sampling-budget.ts': fanOut(6) });
      const analyzeWith = (states: number, timelines: boolean) =>
        project.analyze(files, configWith(), { budget: { milliseconds: 60_000, states }, timelines });
      // The smallest budget the findings fit in (the facts' walk alone): the sampling needs more.
      let [low, high] = [1, 1_000_000];
      while (low < high) {
        const middle = Math.floor((low + high) / 2);
        if (onlyConsumer(analyzeWith(middle, false)).incomplete) low = middle + 1;
        else high = middle;
      }
      const result = analyzeWith(low, true);
      const consumer = onlyConsumer(result);
      assert.equal(consumer.incomplete, undefined);
      assert.deepEqual(rules(result), ['missing-event-id-check']);
      assert.equal(consumer.paths.length, 0);
      assert.equal(consumer.pathsSampled, true);
    });

    test("a try's catch is judged by where that try began, whatever trys ran inside it", () => {
      // The outer try begins after the order is stored: its catch guards the webhook step, not the
      // processing. An inner try that ran first does not change that.
      for (const inner of [false, true]) {
        const files = project.write({ [`after-processing-${inner}.ts`]: tryAfterProcessing(inner) });
        assert.deepEqual(rules(project.analyze(files)), ['missing-event-id-check'], `inner try: ${inner}`);
      }
    });

    test('facts keep a witness: the events of a concrete path', () => {
      const files = project.write({ 'witness.ts': fanOut(3) });
      const consumer = onlyConsumer(project.analyze(files));
      for (const run of consumer.flow.unprotected) {
        const last = run.witness[run.witness.length - 1];
        assert.equal(last.kind, 'effect');
        assert.equal(last.kind === 'effect' && last.effect, run.effect);
      }
      assert.equal(consumer.flow.unprotected.length, 3);
    });
  });
}

/** A `return` statement for exit steps (the walker locates where a path leaves). */
const RETURN_NODE = (
  ts.createSourceFile('/src/orders.ts', 'function saved() { return true; }', ts.ScriptTarget.Latest, true)
    .statements[0] as ts.FunctionDeclaration
).body!.statements[0];

/** A domain with one typestate: the walker keeps paths apart by their flags alone. */
const ONE_TYPESTATE: Domain<string> = {
  keys: () => ({ key: 'state' }),
  join: (into) => into,
  effect: (state) => state,
  settle: (state) => state,
  guardOutcome: (state) => state,
  caught: (state) => state,
  unknown: (state) => state,
  mark: (state) => state,
};

describe('the walker forgets the flags of a function it leaves', () => {
  // A helper at 100–200 of the handler's file; the handler's own `const` is declared at 50.
  const helper: FunctionText = { fileName: '/src/orders.ts', pos: 100, end: 200 };
  const both = (id: string): Step => ({
    t: 'if',
    then: [{ t: 'assign', id, value: 'truthy' as Truth }],
    else: [{ t: 'assign', id, value: 'falsy' as Truth }],
  });
  const pathsAfter = (steps: Step[]): number =>
    walk(steps, 'start', ONE_TYPESTATE, new OccurrenceRegistry()).normal.length;

  test("the helper's `const saved` splits paths inside it, and they merge as it returns", () => {
    assert.equal(pathsAfter([both('/src/orders.ts:150')]), 2, 'known apart while the flag lives');
    assert.equal(pathsAfter([{ t: 'scope', body: [both('/src/orders.ts:150')], locals: helper }]), 1);
    // A `return <call>` result flag (`file:return:start`) of the helper's is its own too.
    assert.equal(pathsAfter([{ t: 'scope', body: [both('/src/orders.ts:return:160')], locals: helper }]), 1);
  });

  test("flags the helper does not declare stay: the caller's, another file's, and its result", () => {
    for (const id of ['/src/orders.ts:50', '/src/orders.ts:200', '/src/other.ts:150']) {
      assert.equal(pathsAfter([{ t: 'scope', body: [both(id)], locals: helper }]), 2, id);
    }
    // `const saved = await helper()`: the caller's flag, set from how the helper returned.
    const returns = (value: Truth): Step[] => [{ t: 'exit', kind: 'return', node: RETURN_NODE, value }];
    const result: Step = {
      t: 'scope',
      body: [{ t: 'if', then: returns('truthy'), else: returns('falsy') }],
      locals: helper,
      result: '/src/orders.ts:50',
    };
    assert.equal(pathsAfter([result]), 2);
  });
});

describe("the walker leaves a helper's `return` unmarked: its caller clears the mark", () => {
  /** A state is the kind of the exit mark it holds ('' for none); the domain counts the marks it is asked to set. */
  const marking = (): Domain<string> & { marked: number } => {
    const domain = {
      ...ONE_TYPESTATE,
      keys: (state: string) => ({ key: state }),
      marked: 0,
      mark: (state: string, exit: ExitMark | undefined): string => {
        if (!exit) return '';
        domain.marked++;
        return exit.kind;
      },
    };
    return domain;
  };
  const returns: Step = { t: 'exit', kind: 'return', node: RETURN_NODE };
  const throws: Step = { t: 'exit', kind: 'throw', node: RETURN_NODE };
  const wrapped: Step = {
    t: 'guarded',
    guard: {
      kind: 'wrapper',
      label: 'makeIdempotent',
      node: RETURN_NODE,
      keyedByIdentity: true,
      scope: 'message',
      chain: [],
    },
    body: [returns],
  };
  const cases: {
    name: string;
    steps: Step[];
    ends: 'normal' | 'returned' | 'thrown';
    states: string[];
    marked: number;
  }[] = [
    {
      name: "the handler's own return: the path leaves there",
      steps: [returns],
      ends: 'returned',
      states: ['return'],
      marked: 1,
    },
    {
      name: "a helper's return: the path comes back to its caller without a mark",
      steps: [{ t: 'scope', body: [returns] }],
      ends: 'normal',
      states: [''],
      marked: 0,
    },
    {
      name: 'a return from a promise a helper returns, the same',
      steps: [{ t: 'scope', body: [returns], returnedPromise: true }],
      ends: 'normal',
      states: [''],
      marked: 0,
    },
    {
      name: "a helper's throw: it leaves the handler there",
      steps: [{ t: 'scope', body: [throws] }],
      ends: 'thrown',
      states: ['throw'],
      marked: 1,
    },
    {
      name: "a return in a wrapper's body, also inside a helper: it goes on as the wrapper's",
      steps: [{ t: 'scope', body: [wrapped] }],
      ends: 'normal',
      states: ['return'],
      marked: 1,
    },
  ];

  for (const { name, steps, ends, states, marked } of cases)
    test(name, () => {
      const domain = marking();
      const result = walk(steps, '', domain, new OccurrenceRegistry());
      assert.deepEqual(result[ends], states);
      assert.equal(domain.marked, marked, 'marks set');
    });
});
