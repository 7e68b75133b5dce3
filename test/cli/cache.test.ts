/**
 * The CLI's cache (pipeline/cache.ts, docs/model.md, "The CLI's cache"): a cached run gives the
 * results of a run without the cache, and analyses again exactly the files whose inputs changed:
 * the file, a file it reaches, a file a program-wide scan reads, a file that now resolves an
 * import, a wrapper's caller, the config.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runLint } from '../../server/src/pipeline/lint';
import type { LintRequest, LintRun } from '../../server/src/pipeline/api';
import type { ResolvedConfig } from '../../server/src/config/resolved-config';
import { configWith } from '../helpers/project';

const REPO = path.resolve(__dirname, '../..');

/** What a run reports, in an order that does not depend on which files came from the cache. */
function results(run: LintRun): string {
  return JSON.stringify({
    consumers: [...run.consumers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    findings: run.findings,
    problems: [...run.problems].sort(
      (a, b) => a.filePath.localeCompare(b.filePath) || a.message.localeCompare(b.message),
    ),
    filesLinted: run.filesLinted,
    filesAnalyzed: run.filesAnalyzed,
  });
}

class Project {
  readonly root: string;
  readonly cacheFile: string;

  constructor(label: string) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `dl-cache-${label}-`));
    this.cacheFile = path.join(this.root, '.cache', 'delivery-lint-cache');
  }

  write(files: Record<string, string>): void {
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(this.root, name)), { recursive: true });
      fs.writeFileSync(path.join(this.root, name), text);
    }
  }

  edit(name: string, change: (text: string) => string): void {
    const file = path.join(this.root, name);
    const before = fs.readFileSync(file, 'utf8');
    const after = change(before);
    assert.notEqual(after, before, `the edit of ${name} changes it`);
    fs.writeFileSync(file, after);
  }

  request(config: ResolvedConfig = configWith(), extra: Partial<LintRequest> = {}): LintRequest {
    return { cwd: this.root, paths: [this.root], config, ...extra };
  }

  /** A run without the cache, and one with it: the same results; returns the cached run. */
  check(config: ResolvedConfig = configWith(), version = 'test'): LintRun {
    const plain = runLint(this.request(config));
    const cached = runLint(this.request(config, { cache: { location: this.cacheFile, version } }));
    assert.equal(results(cached), results(plain), 'the cached run reports what a run without the cache reports');
    return cached;
  }

  remove(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

function copyFolder(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyFolder(source, target);
    else fs.copyFileSync(source, target);
  }
}

describe('the cache on examples/', () => {
  let project: Project;
  before(() => {
    project = new Project('examples');
    copyFolder(path.join(REPO, 'examples'), project.root);
  });
  after(() => project?.remove());

  test('a first run analyses every broker file, the next one none, with the same results', () => {
    const cold = project.check();
    assert.equal(cold.cacheStats?.reused, 0);
    assert.ok(cold.findings.length > 5, 'examples/ has findings');
    const warm = project.check();
    assert.deepEqual(warm.cacheStats, { reused: cold.cacheStats.analysed, analysed: 0 });
  });

  test('an edit of a consumer file analyses that file again, and the files that reach it', () => {
    project.edit('src/kafka/inventory.consumer.ts', (text) => `${text}// edited\n`);
    const run = project.check();
    // The file, and src/main.ts, which imports every consumer to start it.
    assert.equal(run.cacheStats?.analysed, 2);
  });

  test('an edit of a service a consumer reaches analyses the consumers that import it', () => {
    // chargeForOrder now passes an idempotencyKey: the order-placed finding loses its Stripe charge.
    project.edit('src/services/billing.ts', (text) =>
      text.replace(/stripe\.charges\.create\(\{/, 'stripe.charges.create({ idempotencyKey: `order-${order.id}`,'),
    );
    const run = project.check();
    const importers = fs
      .readdirSync(path.join(project.root, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.ts$/.test(file))
      .filter((file) =>
        /from '\.\.\/services\/billing'/.test(fs.readFileSync(path.join(project.root, 'src', file), 'utf8')),
      );
    assert.ok(importers.length >= 1);
    assert.ok(
      run.cacheStats!.analysed >= importers.length && run.cacheStats!.analysed < run.cacheStats!.reused,
      `analysed ${run.cacheStats!.analysed}, ${importers.length} import billing.ts`,
    );
  });

  test('an edit of the NestJS bootstrap (a program-wide scan reads it) analyses everything again', () => {
    project.edit('src/nest/main.ts', (text) => `${text}// the bootstrap changed\n`);
    const run = project.check();
    assert.equal(run.cacheStats?.reused, 0);
  });

  test('another config analyses everything again', () => {
    project.check();
    const run = project.check(configWith({ rules: { 'ack-before-process': 'off' } }));
    assert.equal(run.cacheStats?.reused, 0);
  });

  test('another build of delivery-lint analyses everything again', () => {
    project.check();
    const run = project.check(configWith(), 'another build');
    assert.equal(run.cacheStats?.reused, 0);
  });

  test('a cache file that is not a cache is ignored and rewritten', () => {
    fs.writeFileSync(project.cacheFile, '{ not json');
    const run = project.check();
    assert.equal(run.cacheStats?.reused, 0);
    assert.equal(project.check().cacheStats?.analysed, 0);
  });
});

const AMQP_REJECT = `import amqp from 'amqplib';
import { Pool } from 'pg';
import { parseDispute } from './parse';

const pool = new Pool();

export async function startDisputes(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.assertQueue('disputes', { durable: true });
  await channel.consume('disputes', async (msg) => {
    if (!msg) return;
    try {
      const dispute = parseDispute(msg.content.toString());
      await pool.query('UPDATE payments SET disputed = true WHERE id = $1', [dispute.paymentId]);
      channel.ack(msg);
    } catch (err) {
      console.error('dispute failed', err);
      channel.reject(msg, false);
    }
  });
}
`;

const TOPOLOGY = `import type { Channel } from 'amqplib';

export async function declareTopology(channel: Channel): Promise<void> {
  await channel.assertQueue('disputes', { durable: true, arguments: { 'x-dead-letter-exchange': 'disputes.dlx' } });
}
`;

const KAFKA_WRAPPER = `import { Kafka } from 'kafkajs';

const kafka = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] });

export async function subscribe<T>(topic: string, groupId: string, handler: (event: T) => Promise<void>): Promise<void> {
  const consumer = kafka.consumer({ groupId });
  await consumer.run({
    eachMessage: async ({ message }) => {
      await handler(JSON.parse(message.value!.toString()) as T);
    },
  });
}
`;

const WRAPPER_CALLER = `import { subscribe } from './bus';
import { Pool } from 'pg';

const pool = new Pool();

export async function start(): Promise<void> {
  await subscribe<{ id: string }>('invoices.requested', 'billing', async (request) => {
    await pool.query('INSERT INTO invoices (request_id) VALUES ($1) ON CONFLICT (request_id) DO NOTHING', [request.id]);
  });
}
`;

describe('the cache follows what a consumer depends on without importing it', () => {
  let project: Project;
  before(() => {
    project = new Project('deps');
    project.write({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'commonjs' } }),
      'src/disputes.ts': AMQP_REJECT,
      'src/topology.ts': TOPOLOGY,
      'src/bus.ts': KAFKA_WRAPPER,
      'src/billing.ts': WRAPPER_CALLER,
      'src/util.ts': 'export const answer = 42;\n',
    });
  });
  after(() => project?.remove());

  test('a dead-letter exchange removed in another file: the reject that now drops is reported', () => {
    const first = project.check();
    assert.ok(!first.findings.some((finding) => finding.ruleId === 'swallowed-failure-ack'));
    project.edit('src/topology.ts', (text) =>
      text.replace(", arguments: { 'x-dead-letter-exchange': 'disputes.dlx' }", ''),
    );
    const run = project.check();
    assert.ok(
      run.findings.some((finding) => finding.ruleId === 'swallowed-failure-ack'),
      'the drop is reported',
    );
  });

  test('a relative import that did not resolve resolves once its file is written', () => {
    project.check();
    project.write({
      'src/parse.ts': `import { Pool } from 'pg';\nconst audit = new Pool();\nexport function parseDispute(text: string): { paymentId: string } {\n  void audit.query('INSERT INTO audit (payload) VALUES ($1)', [text]);\n  return JSON.parse(text) as { paymentId: string };\n}\n`,
    });
    const run = project.check();
    assert.ok(run.cacheStats!.analysed >= 1);
  });

  test("an edit of a wrapper's caller (a file with no broker import) analyses the wrapper with it", () => {
    project.check();
    project.edit('src/billing.ts', (text) => text.replace(' ON CONFLICT (request_id) DO NOTHING', ''));
    const run = project.check();
    assert.ok(
      run.findings.some(
        (finding) => finding.ruleId === 'missing-event-id-check' && finding.location.filePath.endsWith('billing.ts'),
      ),
      'the caller is judged again',
    );
  });

  test('an edit of a file no consumer reaches analyses nothing', () => {
    project.check();
    project.edit('src/util.ts', (text) => text.replace('42', '43'));
    assert.equal(project.check().cacheStats?.analysed, 0);
  });

  test('an import of a file that is there but does not resolve (package.json under node16, no resolveJsonModule) keeps the entry', () => {
    const other = new Project('json-import');
    try {
      other.write({
        'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'node16' } }),
        'package.json': JSON.stringify({ name: 'json-import', version: '1.0.0' }),
        'src/bus.ts': `import { name } from '../package.json';\n${KAFKA_WRAPPER.replace("clientId: 'svc'", 'clientId: name')}`,
        'src/billing.ts': WRAPPER_CALLER,
      });
      assert.ok(other.check().cacheStats!.analysed >= 1);
      assert.equal(other.check().cacheStats?.analysed, 0, 'nothing changed: nothing is analysed');
    } finally {
      other.remove();
    }
  });
});

const SUBJECT_BUS = `import { Subject } from 'rxjs';

export const placedOrders = new Subject<{ id: string; total: number }>();
`;

const SUBJECT_CONSUMER = `import { Kafka } from 'kafkajs';
import { placedOrders } from './bus';

const consumer = new Kafka({ clientId: 'svc', brokers: ['kafka:9092'] }).consumer({ groupId: 'orders' });

export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      placedOrders.next(JSON.parse(message.value!.toString()) as { id: string; total: number });
    },
  });
}
`;

/** Subscribes to the Subject the consumer pushes to; nothing imports this file. */
const SUBJECT_SUBSCRIBER = `import { Pool } from 'pg';
import { placedOrders } from './bus';

const pool = new Pool();

placedOrders.subscribe((order) => {
  void pool.query('INSERT INTO invoices (total) VALUES ($1)', [order.total]);
});
`;

describe('the cache and the searches over the whole project', () => {
  let project: Project;
  before(() => {
    project = new Project('searched');
    project.write({
      'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, module: 'commonjs' } }),
      'src/bus.ts': SUBJECT_BUS,
      'src/orders.ts': SUBJECT_CONSUMER,
      'src/invoicing.ts': SUBJECT_SUBSCRIBER,
    });
  });
  after(() => project?.remove());

  test("an edit of a Subject's subscriber that no consumer imports analyses the consumer again", () => {
    const first = project.check();
    const rulesOf = (run: LintRun): string[] => run.findings.map((finding) => finding.ruleId).sort();
    assert.ok(rulesOf(first).length > 0, "the subscriber's insert is the consumer's work");
    project.edit('src/invoicing.ts', (text) =>
      text.replace(
        "void pool.query('INSERT INTO invoices (total) VALUES ($1)', [order.total]);",
        'console.log(order.id);',
      ),
    );
    const second = project.check();
    assert.equal(second.cacheStats?.analysed, 1, 'the consumer that searched is analysed again');
    assert.notDeepEqual(rulesOf(second), rulesOf(first), 'and reports what the subscriber does now');
  });
});

describe('what the cache cannot see is declared', () => {
  const read = (folder: string): string[] =>
    fs
      .readdirSync(path.join(REPO, folder), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join(folder, file));

  test('every scan over all the program files has its text test in PROGRAM_WIDE_TEXT, or marks its report as searching', () => {
    // A scan of program.getSourceFiles() reads files the consumer does not import: the cache must
    // know them (analysis/libraries/index.ts, PROGRAM_WIDE_TEXT).
    const index = fs.readFileSync(path.join(REPO, 'server/src/analysis/libraries/index.ts'), 'utf8');
    const cache = fs.readFileSync(path.join(REPO, 'server/src/pipeline/cache.ts'), 'utf8');
    const listed =
      (/PROGRAM_WIDE_TEXT[^=]*=\s*\[([^\]]*)\]/.exec(index)?.[1] ?? '') +
      (/GLOBAL_SCANS[^=]*=\s*\[([^\]]*)\]/.exec(cache)?.[1] ?? '');
    const missing: string[] = [];
    for (const file of [...read('server/src/analysis'), ...read('server/src/rules')]) {
      const text = fs.readFileSync(path.join(REPO, file), 'utf8');
      if (!text.includes('.getSourceFiles()')) continue;
      const exported = [...text.matchAll(/export const (\w+_TEXT)\b/g)].map((match) => match[1]);
      // A search that asks for unread files (wantUnread) marks its report `searched`: the entry
      // then holds only while no linted file changed.
      if (!exported.some((name) => listed.includes(name)) && !text.includes('wantUnread(')) missing.push(file);
    }
    assert.deepEqual(missing, []);
  });

  test('the analysis and the rules read the program, and from the file system only package.json manifests', () => {
    // The cache keys a file's results on the package.json files above it (pipeline/lint.ts,
    // entriesOf); any other file read outside the program would be an input it does not know.
    const reading = [...read('server/src/analysis'), ...read('server/src/rules')].filter((file) => {
      const text = fs.readFileSync(path.join(REPO, file), 'utf8');
      return /from 'node:fs'|require\('(node:)?fs'\)|from 'fs'/.test(text) && !/'package\.json'/.test(text);
    });
    assert.deepEqual(reading, [], 'a file read outside the program is an input the cache does not know');
  });

  test('a package.json above a consumer is an input: the sqs-consumer version it declares', () => {
    const project = new Project('manifest');
    try {
      project.write({
        'package.json': JSON.stringify({ dependencies: { 'sqs-consumer': '^13.0.0' } }),
        'src/receipts.ts': `import { Consumer } from 'sqs-consumer';
import { Pool } from 'pg';

const pool = new Pool();

export const receipts = Consumer.create({
  queueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/receipts',
  handleMessage: async (message) => {
    if (!message.Body) return;
    await pool.query('INSERT INTO receipts (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [message.MessageId]);
  },
});
`,
      });
      project.check();
      project.edit('package.json', (text) => text.replace('^13.0.0', '^14.2.0'));
      const run = project.check();
      assert.equal(run.cacheStats?.analysed, 1, 'the manifest changed: the consumer is analysed again');
    } finally {
      project.remove();
    }
  });
});
