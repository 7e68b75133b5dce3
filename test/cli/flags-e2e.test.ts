/**
 * The built CLI's ESLint-habit options on real code: `--fix` on every safe fix (and only those),
 * `--fix-dry-run`, the suppressions flow on a copy of examples/, `--stdin`, `--cache`,
 * `--print-config`, `--ignore-pattern` and the suppression comment checks.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EslintResult } from '../../server/src/cli/formatters/json';
import { allRules } from '../../server/src/rules';
import { parseAs } from './helpers';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'dist/cli.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, input?: string): Result {
  const env = { ...process.env };
  delete env.NO_COLOR;
  delete env.DELIVERY_LINT_DEBUG;
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, env, input, encoding: 'utf8', timeout: 180_000 });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function messagesOf(stdout: string): { file: string; ruleId: string; line: number }[] {
  return parseAs<EslintResult[]>(stdout).flatMap((entry) =>
    entry.messages.map((message) => ({
      file: path.basename(entry.filePath),
      ruleId: message.ruleId,
      line: message.line,
    })),
  );
}

function write(root: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
}

function copyFolder(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) copyFolder(path.join(from, entry.name), path.join(to, entry.name));
    else fs.copyFileSync(path.join(from, entry.name), path.join(to, entry.name));
  }
}

let root: string;
before(() => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run "npm run build" first`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-flags-e2e-'));
});
after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true },
  include: ['src'],
});

/** Every shape of safe fix (producer IDs for amqplib, Kafka and JetStream; a repeated settle), and unsafe neighbours. */
const SAFE_FIXES: Record<string, string> = {
  'tsconfig.json': TSCONFIG,
  'src/publish.ts': `import amqp from 'amqplib';
import { Kafka } from 'kafkajs';
import { connect } from 'nats';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';

const kafka = new Kafka({ clientId: 'orders', brokers: ['kafka:9092'] });
const producer = kafka.producer();
const sqs = new SQSClient({});

export async function publishOrderPlaced(order: { id: string; total: number }): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  channel.publish('orders', 'order.placed', Buffer.from(JSON.stringify(order)));
  channel.sendToQueue('order-audit', Buffer.from(order.id), { persistent: true });
}

export async function streamOrder(order: { id: string }): Promise<void> {
  await producer.send({ topic: 'orders', messages: [{ value: JSON.stringify(order) }] });
}

export async function announceShipment(shipment: { id: string }): Promise<void> {
  const nc = await connect({ servers: 'nats://nats:4222' });
  const js = nc.jetstream();
  await js.publish('shipments.created', JSON.stringify(shipment));
}

export async function requestRefund(refund: { orderId: string }): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123/refunds.fifo',
      MessageBody: JSON.stringify(refund),
      MessageGroupId: refund.orderId,
    }),
  );
}
`,
  'src/orders.consumer.ts': `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startOrders(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    const order = JSON.parse(msg.content.toString()) as { id: string };
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [order.id]);
    channel.ack(msg);
    console.log('stored order', order.id);
    channel.ack(msg);
  });
}
`,
  'src/refunds.consumer.ts': `import amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function startRefunds(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbitmq')).createChannel();
  await channel.consume('refunds', async (msg) => {
    if (!msg) return;
    const refund = JSON.parse(msg.content.toString()) as { id: string; urgent: boolean };
    await pool.query('INSERT INTO refunds (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [refund.id]);
    if (refund.urgent) {
      channel.ack(msg);
    }
    channel.ack(msg);
  });
}
`,
  'src/invoices.consumer.ts': `import { ServiceBusClient } from '@azure/service-bus';
import { Pool } from 'pg';

const pool = new Pool();
const receiver = new ServiceBusClient('Endpoint=sb://billing/').createReceiver('invoices');

receiver.subscribe(
  {
    processMessage: async (message) => {
      await pool.query('INSERT INTO invoices (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [message.messageId]);
      await receiver.completeMessage(message);
      await receiver.completeMessage(message);
    },
    processError: async (args) => console.error(args.error),
  },
  { autoCompleteMessages: false },
);
`,
};

/** The files after --fix: every safe fix applied, the SQS FIFO ID and the conditional first ack left. */
const FIXED: Record<string, (text: string) => string> = {
  'src/publish.ts': (text) =>
    text
      .replace(
        "import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';\n",
        "import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';\nimport { randomUUID } from 'node:crypto';\n",
      )
      .replace(
        'Buffer.from(JSON.stringify(order)));',
        'Buffer.from(JSON.stringify(order)), { messageId: randomUUID() });',
      )
      .replace('{ persistent: true }', '{ persistent: true, messageId: randomUUID() }')
      .replace(
        '[{ value: JSON.stringify(order) }]',
        "[{ value: JSON.stringify(order), headers: { 'event-id': randomUUID() } }]",
      )
      .replace('JSON.stringify(shipment));', 'JSON.stringify(shipment), { msgID: randomUUID() });'),
  'src/orders.consumer.ts': (text) =>
    text.replace(
      "    console.log('stored order', order.id);\n    channel.ack(msg);\n",
      "    console.log('stored order', order.id);\n",
    ),
  'src/invoices.consumer.ts': (text) =>
    text.replace(
      '      await receiver.completeMessage(message);\n      await receiver.completeMessage(message);\n',
      '      await receiver.completeMessage(message);\n',
    ),
  'src/refunds.consumer.ts': (text) => text,
};

describe('--fix and --fix-dry-run on every safe fix', () => {
  let dir: string;
  before(() => {
    dir = path.join(root, 'safe-fixes');
    write(dir, SAFE_FIXES);
  });

  it('the fixture covers every rule that has safe fixes', () => {
    const result = run(['--format', 'json'], dir);
    const fixable = new Set(
      parseAs<EslintResult[]>(result.stdout)
        .filter((entry) => entry.fixableErrorCount + entry.fixableWarningCount > 0)
        .flatMap((entry) => entry.messages.map((message) => message.ruleId)),
    );
    const withSafeFixes = allRules.filter((rule) => rule.meta.fixable === 'code').map((rule) => rule.meta.id);
    assert.deepEqual([...withSafeFixes].sort(), ['double-ack', 'producer-missing-event-id']);
    for (const rule of withSafeFixes) assert.ok(fixable.has(rule), `a safe fix of ${rule} in the fixture`);
    assert.equal(
      parseAs<EslintResult[]>(result.stdout).reduce(
        (sum, entry) => sum + entry.fixableErrorCount + entry.fixableWarningCount,
        0,
      ),
      6,
      'four producer IDs and two repeated settles',
    );
  });

  it('--fix-dry-run prints the diff of every safe fix and writes nothing', () => {
    const result = run(['--fix-dry-run'], dir);
    for (const [name, text] of Object.entries(SAFE_FIXES))
      assert.equal(fs.readFileSync(path.join(dir, name), 'utf8'), text);
    assert.match(result.stdout, /^--- a\/src\/invoices\.consumer\.ts\n\+\+\+ b\/src\/invoices\.consumer\.ts\n/m);
    assert.match(
      result.stdout,
      /^\+ {2}channel\.publish\('orders', 'order\.placed', Buffer\.from\(JSON\.stringify\(order\)\), \{ messageId: randomUUID\(\) \}\);$/m,
    );
    assert.match(result.stdout, /^- {4}channel\.ack\(msg\);$/m);
    assert.match(result.stderr, /--fix-dry-run: 6 safe fixes in 3 files, nothing written/);
    assert.equal(result.code, 1, 'the double-ack left in refunds.consumer.ts is an error');
    const json = parseAs<EslintResult[]>(run(['--fix-dry-run', '--format', 'json'], dir).stdout);
    const publish = json.find((entry) => entry.filePath.endsWith('publish.ts'))!;
    assert.equal(publish.output, FIXED['src/publish.ts'](SAFE_FIXES['src/publish.ts']));
  });

  it('--fix applies every safe fix, and only those; what is left is reported', () => {
    const result = run(['--fix', '--format', 'json'], dir);
    for (const [name, fixed] of Object.entries(FIXED))
      assert.equal(fs.readFileSync(path.join(dir, name), 'utf8'), fixed(SAFE_FIXES[name]), name);
    assert.deepEqual(messagesOf(result.stdout), [
      { file: 'publish.ts', ruleId: 'producer-missing-event-id', line: 28 },
      { file: 'refunds.consumer.ts', ruleId: 'double-ack', line: 15 },
    ]);
    assert.ok(
      parseAs<EslintResult[]>(result.stdout).every(
        (entry) => entry.fixableErrorCount + entry.fixableWarningCount === 0,
      ),
      'no safe fix is left',
    );
    assert.equal(result.code, 1);
    const again = run(['--fix'], dir);
    assert.doesNotMatch(again.stderr, /applied/, 'nothing is left to fix');
  });
});

describe('the suppressions file on examples/', () => {
  let dir: string;
  const suppressionsFile = (): string => path.join(dir, 'delivery-lint-suppressions.json');
  before(() => {
    dir = path.join(root, 'examples');
    copyFolder(path.join(REPO, 'examples'), dir);
  });

  it('adopt: --suppress-all records every finding, and the next runs pass', () => {
    const before = messagesOf(run(['--format', 'json'], dir).stdout);
    assert.ok(before.length >= 10, 'examples/ has findings');
    const adopted = run(['--suppress-all'], dir);
    assert.equal(adopted.code, 0, adopted.stderr);
    const counts = JSON.parse(fs.readFileSync(suppressionsFile(), 'utf8')) as Record<
      string,
      Record<string, { count: number }>
    >;
    const total = Object.values(counts)
      .flatMap((rules) => Object.values(rules))
      .reduce((sum, entry) => sum + entry.count, 0);
    assert.equal(total, before.length);
    assert.deepEqual(counts['src/kafka/inventory.consumer.ts'], { 'ack-before-process': { count: 1 } });
    const next = run(['--max-warnings', '0'], dir);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stdout, /^No problems found/);
  });

  it('a new finding is reported, and only it', () => {
    write(dir, {
      'src/rabbit/ledger.consumer.ts': `import type { ConsumeMessage } from 'amqplib';
import { prisma } from '../db/prisma';
import { getChannel } from '../lib/rabbit';

export async function startLedgerConsumer(): Promise<void> {
  const channel = await getChannel();
  await channel.consume('ledger', async (msg: ConsumeMessage | null) => {
    if (!msg) return;
    channel.ack(msg);
    await prisma.ledgerEntry.create({ data: { paymentId: msg.properties.messageId, amountCents: 100 } });
  });
}
`,
    });
    const result = run(['--format', 'json'], dir);
    assert.deepEqual(
      messagesOf(result.stdout).map((message) => `${message.file}:${message.ruleId}`),
      ['ledger.consumer.ts:ack-before-process'],
    );
    assert.equal(result.code, 1);
    fs.rmSync(path.join(dir, 'src/rabbit/ledger.consumer.ts'));
  });

  it('a fixed finding fails the run until --prune-suppressions removes its count', () => {
    // invoice-email acks before sendMail: move the ack after it.
    const file = path.join(dir, 'src/rabbit/invoice-email.consumer.ts');
    const text = fs.readFileSync(file, 'utf8');
    const ack = /\n( *)channel\.ack\(msg\);\n/.exec(text)!;
    const withoutAck = text.replace(ack[0], '\n');
    const fixed = withoutAck.replace(
      /(\n\s*await transporter\.sendMail\([\s\S]*?\);\n)/,
      `$1${ack[1]}channel.ack(msg);\n`,
    );
    assert.notEqual(fixed, withoutAck, 'the ack moved after sendMail');
    fs.writeFileSync(file, fixed);
    const stale = run([], dir);
    assert.equal(stale.code, 2);
    assert.match(
      stale.stderr,
      /delivery-lint-suppressions\.json counts 1 finding that is gone \(src\/rabbit\/invoice-email\.consumer\.ts: ack-before-process ×1\): remove it with --prune-suppressions/,
    );
    assert.equal(run(['--pass-on-unpruned-suppressions'], dir).code, 0);
    const pruned = run(['--prune-suppressions'], dir);
    assert.equal(pruned.code, 0, pruned.stderr);
    const counts = JSON.parse(fs.readFileSync(suppressionsFile(), 'utf8')) as Record<string, unknown>;
    assert.ok(!('src/rabbit/invoice-email.consumer.ts' in counts));
    assert.equal(run([], dir).code, 0);
  });
});

describe('--stdin, --cache, --print-config, --ignore-pattern and comment checks on examples/', () => {
  let dir: string;
  before(() => {
    dir = path.join(root, 'examples-2');
    copyFolder(path.join(REPO, 'examples'), dir);
  });

  it('--stdin --stdin-filename lints the text as that file, the rest of the project read from disk', () => {
    const file = 'src/kafka/order-placed.consumer.ts';
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const result = run(['--stdin', '--stdin-filename', file, '--format', 'json'], dir, text);
    const results = parseAs<EslintResult[]>(result.stdout);
    assert.deepEqual(
      results.map((entry) => entry.filePath),
      [path.join(dir, file)],
    );
    // The finding's related locations reach services/billing.ts on disk.
    assert.deepEqual(
      messagesOf(result.stdout).map((message) => message.ruleId),
      ['missing-event-id-check'],
    );
    const fixedText = text.replace('await chargeForOrder(event);', '// charged elsewhere');
    assert.notEqual(fixedText, text);
    assert.deepEqual(
      messagesOf(run(['--stdin', '--stdin-filename', file, '--format', 'json'], dir, fixedText).stdout),
      [],
    );
  });

  it('--cache: the second run reads the cache and prints the same', () => {
    const first = run(['--cache', '--format', 'json'], dir);
    assert.ok(fs.existsSync(path.join(dir, '.delivery-lint-cache')));
    const second = run(['--cache', '--format', 'json'], dir);
    assert.equal(second.stdout, first.stdout);
    assert.equal(second.code, first.code);
    const elsewhere = run(['--cache', '--cache-location', '.cache/', '--format', 'json'], dir);
    assert.equal(elsewhere.stdout, first.stdout);
    assert.ok(fs.existsSync(path.join(dir, '.cache/.delivery-lint-cache')));
  });

  it('--print-config prints a config file that gives the same results', () => {
    const printed = run(['--print-config', 'src/main.ts', '--rule', 'double-ack:warn'], dir);
    assert.equal(printed.code, 0);
    fs.writeFileSync(path.join(dir, 'printed.config.json'), printed.stdout);
    const withIt = run(['--config', 'printed.config.json', '--format', 'json'], dir);
    const without = run(['--rule', 'double-ack:warn', '--format', 'json'], dir);
    assert.equal(withIt.stdout, without.stdout);
  });

  it('--ignore-pattern leaves the matching files out', () => {
    const all = parseAs<EslintResult[]>(run(['--format', 'json'], dir).stdout);
    const some = parseAs<EslintResult[]>(
      run(['--format', 'json', '--ignore-pattern', 'src/kafka/**', '--ignore-pattern', '**/*.poller.ts'], dir).stdout,
    );
    const names = some.map((entry) => path.relative(dir, entry.filePath));
    assert.ok(names.length < all.length);
    assert.ok(!names.some((name) => name.startsWith('src/kafka/') || name.endsWith('.poller.ts')), names.join(', '));
    assert.ok(names.includes('src/rabbit/invoice-email.consumer.ts'));
  });

  it('--report-unused-disable-directives: the used comment of analytics.consumer.ts is not reported; an unused one is', () => {
    assert.deepEqual(
      messagesOf(run(['--format', 'json', '--report-unused-disable-directives'], dir).stdout).filter((message) =>
        message.ruleId.includes('directive'),
      ),
      [],
    );
    const file = path.join(dir, 'src/kafka/refund.consumer.ts');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `// delivery-lint-disable double-ack -- never acks twice\n${text}`);
    const result = run(['--format', 'json', '--report-unused-disable-directives'], dir);
    assert.deepEqual(
      messagesOf(result.stdout).filter((message) => message.ruleId.includes('directive')),
      [{ file: 'refund.consumer.ts', ruleId: 'unused-disable-directive', line: 1 }],
    );
    fs.writeFileSync(file, text);
  });
});
