/**
 * The built CLI (dist/cli.js, from `npm run build`) spawned on small fixture projects made under
 * the system temp folder. These tests fail, rather than skip, when the build is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EslintResult } from '../../server/src/cli/formatters/json';
import { parseAs, runCli, writeProject, type CliResult, type ExplainedJson, type SarifLog } from './helpers';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'dist/cli.js');
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

let root: string;

function project(name: string, files: Record<string, string>): string {
  return writeProject(root, name, files);
}

function run(args: string[], cwd: string): CliResult {
  return runCli(args, cwd);
}

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'commonjs', strict: true },
  include: ['src'],
});

/** amqplib: the message is acked before the INSERT it triggers (docs/rules/ack-before-process.md). */
const ACK_FIRST = `import * as amqp from 'amqplib';
import { Pool } from 'pg';

const pool = new Pool();

export async function start(): Promise<void> {
  const connection = await amqp.connect('amqp://localhost');
  const channel = await connection.createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
    channel.ack(msg);
    const order = JSON.parse(msg.content.toString());
    await pool.query('INSERT INTO orders (id, total) VALUES ($1, $2)', [order.id, order.total]);
  });
}
`;

const NO_CONSUMER = `export function add(a: number, b: number): number {
  return a + b;
}
`;

before(() => {
  assert.ok(fs.existsSync(CLI), `${CLI} is missing: run "npm run build" first (the build may have failed)`);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-e2e-'));
});
after(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('dist/cli.js', () => {
  it('is an executable script with a shebang', () => {
    const text = fs.readFileSync(CLI, 'utf8');
    assert.ok(text.startsWith('#!/usr/bin/env node\n'));
    assert.ok((fs.statSync(CLI).mode & 0o111) !== 0, 'executable bit');
  });

  it('--help exits 0 with the usage', () => {
    const result = run(['--help'], REPO);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: delivery-lint \[options\] \[paths\.\.\.\]/);
    assert.equal(result.stderr, '');
  });

  it('answers --help and usage errors without loading the analyzer bundle', () => {
    // dist/cli.js alone, without dist/engine.js beside it: TypeScript is never parsed for these.
    const lone = path.join(root, 'lone-cli.js');
    fs.copyFileSync(CLI, lone);
    const help = spawnSync(process.execPath, [lone, '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    const misuse = spawnSync(process.execPath, [lone, '--format', 'nope'], { encoding: 'utf8' });
    assert.equal(misuse.status, 2);
    assert.match(misuse.stderr, /^delivery-lint: /);
  });

  it('--version exits 0 with the package version', () => {
    const result = run(['--version'], REPO);
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, `${VERSION}\n`, '']);
  });
});

describe('dist/cli.js: usage and configuration errors', () => {
  let dir: string;
  before(() => {
    dir = project('errors', {
      'tsconfig.json': TSCONFIG,
      'src/util.ts': NO_CONSUMER,
      'bad.json': '{"guardStrategy": "mongo"}',
      'broken.json': '{\n  "maxDepth": 3,\n}',
    });
  });

  const cases: [string, string[], string][] = [
    ['a missing path', ['src', 'missing-folder'], 'delivery-lint: path not found: missing-folder\n'],
    [
      'a bad --format',
      ['--format', 'xml'],
      'delivery-lint: --format must be one of stylish, json, sarif, github (got "xml")\n',
    ],
    ['an unknown option', ['--colour'], 'delivery-lint: unknown option "--colour"; see --help\n'],
    ['a missing --config file', ['--config', 'nope.json'], 'delivery-lint: config file not found: nope.json\n'],
    [
      'a bad config value',
      ['--config', 'bad.json'],
      'delivery-lint: bad.json: "guardStrategy" must be one of redis, sql, powertools, memory (got "mongo")\n',
    ],
    [
      'a config JSON syntax error',
      ['--config', 'broken.json'],
      'delivery-lint: broken.json:3:1: invalid JSON: trailing comma before "}"\n',
    ],
    [
      'a bad --max-warnings',
      ['--max-warnings', 'lots'],
      'delivery-lint: --max-warnings must be a whole number of 0 or more (got "lots")\n',
    ],
  ];
  for (const [what, args, stderr] of cases) {
    it(`exits 2 on ${what}`, () => {
      const result = run(args, dir);
      assert.equal(result.code, 2);
      assert.equal(result.stderr, stderr);
      assert.equal(result.stdout, '');
    });
  }

  it('exits 2 on an unknown rule in --rule', () => {
    const result = run(['--rule', 'no-such-rule:off'], dir);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^delivery-lint: unknown rule "no-such-rule" in --rule \(known rules: [a-z-]+(, [a-z-]+)*\)\n$/,
    );
    assert.ok(result.stderr.includes('ack-before-process'));
  });

  it('exits 2 on a config file found upward that names an unknown rule', () => {
    const nested = project('errors-upward', {
      'delivery-lint.config.json': '{"rules": {"no-such-rule": "off"}}',
      'pkg/src/a.ts': NO_CONSUMER,
    });
    const result = run(['src'], path.join(nested, 'pkg'));
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^delivery-lint: .*delivery-lint\.config\.json: "rules" names an unknown rule "no-such-rule"/,
    );
    assert.equal(result.stderr.split('\n').length, 2, 'one line');
  });
});

describe('dist/cli.js: linting', () => {
  let clean: string;
  let buggy: string;
  before(() => {
    clean = project('clean', { 'tsconfig.json': TSCONFIG, 'src/util.ts': NO_CONSUMER });
    buggy = project('buggy', { 'tsconfig.json': TSCONFIG, 'src/consumer.ts': ACK_FIRST, 'src/util.ts': NO_CONSUMER });
  });

  it('exits 0 on a project without consumers', () => {
    const result = run([], clean);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^No problems found in \d+ files? \(0 consumers\)\n$/);
  });

  it('prints ESLint-shaped JSON with every file linted', () => {
    const result = run(['--format', 'json', 'src'], clean);
    assert.equal(result.code, 0, result.stderr);
    const results = JSON.parse(result.stdout) as { filePath: string; messages: unknown[] }[];
    assert.ok(Array.isArray(results));
    for (const entry of results) {
      assert.ok(path.isAbsolute(entry.filePath));
      assert.deepEqual(entry.messages, []);
    }
  });

  it('finds ack-before-process and exits 1', () => {
    const result = run(['--format', 'json'], buggy);
    assert.equal(result.code, 1, result.stderr);
    const results = JSON.parse(result.stdout) as {
      filePath: string;
      messages: { ruleId: string; severity: number; line: number }[];
    }[];
    const consumer = results.find((entry) => entry.filePath === path.join(buggy, 'src/consumer.ts'));
    assert.ok(consumer, 'src/consumer.ts is in the results');
    const ack = consumer.messages.find((message) => message.ruleId === 'ack-before-process');
    assert.ok(ack, `ack-before-process reported: ${JSON.stringify(consumer.messages)}`);
    assert.equal(ack.severity, 2);
  });

  it('turns a rule off with --rule and changes the exit code accordingly', () => {
    const all = JSON.parse(run(['--format', 'json'], buggy).stdout) as {
      messages: { ruleId: string; severity: number }[];
    }[];
    const messages = all.flatMap((entry) => entry.messages);
    const otherErrors = messages.filter((m) => m.severity === 2 && m.ruleId !== 'ack-before-process').length;
    const result = run(['--format', 'json', '--rule', 'ack-before-process:off'], buggy);
    const after = (JSON.parse(result.stdout) as { messages: { ruleId: string }[] }[]).flatMap(
      (entry) => entry.messages,
    );
    assert.ok(!after.some((m) => m.ruleId === 'ack-before-process'));
    assert.equal(result.code, otherErrors > 0 ? 1 : 0);
  });

  it('applies --max-warnings to the warnings it reports', () => {
    const args = ['--format', 'json', '--rule', 'ack-before-process:warn'];
    const first = run(args, buggy);
    const messages = (JSON.parse(first.stdout) as { messages: { severity: number }[] }[]).flatMap(
      (entry) => entry.messages,
    );
    if (messages.some((m) => m.severity === 2)) {
      // Other rules report errors here: they decide the exit code whatever the warning limit.
      assert.equal(run([...args, '--max-warnings', '1000'], buggy).code, 1);
      return;
    }
    const warnings = parseAs<EslintResult[]>(first.stdout).reduce((n, entry) => n + entry.warningCount, 0);
    assert.ok(warnings >= 1, 'ack-before-process is now a warning');
    assert.equal(run([...args, '--max-warnings', String(warnings)], buggy).code, 0);
    const over = run([...args, '--max-warnings', '0'], buggy);
    assert.equal(over.code, 1);
    assert.match(over.stderr, /delivery-lint: too many warnings/);
  });

  it('writes SARIF to --output-file', () => {
    const target = path.join(root, 'out/report.sarif');
    const result = run(['--format', 'sarif', '--output-file', target], buggy);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '');
    const sarif = parseAs<SarifLog>(fs.readFileSync(target, 'utf8'));
    assert.equal(sarif.version, '2.1.0');
    const driver = sarif.runs[0].tool.driver;
    assert.equal(driver.name, 'delivery-lint');
    assert.equal(driver.version, VERSION);
    assert.ok(driver.rules.some((rule: { id: string }) => rule.id === 'ack-before-process'));
    const result0 = sarif.runs[0].results.find((r) => r.ruleId === 'ack-before-process');
    assert.ok(result0);
    assert.ok(result0);
    assert.equal(result0.locations[0].physicalLocation.artifactLocation.uri, 'src/consumer.ts');
    assert.equal(driver.rules[result0.ruleIndex].id, 'ack-before-process');
  });

  it('writes GitHub annotations', () => {
    const result = run(['--format', 'github'], buggy);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stdout,
      /^::error file=src\/consumer\.ts,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=delivery-lint\(ack-before-process\)::/m,
    );
  });

  it('explains the consumers it found', () => {
    const result = run(['--explain'], buggy);
    assert.match(result.stdout, /^amqplib · orders · .* · src\/consumer\.ts:\d+$/m);
    const json = parseAs<ExplainedJson>(run(['--format', 'json', '--explain'], buggy).stdout);
    assert.equal(json.consumers.length, 1);
    assert.equal(json.consumers[0].registration.source, 'orders');
    assert.ok(!('paths' in json.consumers[0]), 'no paths');
    // The crash timeline: acked before the INSERT, a crash after the ack loses it.
    assert.match(result.stdout, /^ {2}crash timeline /m);
    assert.match(result.stdout, /^ {4}1 +settle +channel\.ack\(\) \(ack\) +src\/consumer\.ts:\d+ +lost +lost$/m);
    const timeline = json.consumers[0].timeline;
    assert.ok(timeline);
    assert.equal(timeline.worst.kind, 'lost');
    assert.deepEqual(
      timeline.steps.map((step) => step.kind),
      ['receive', 'settle', 'effect'],
    );
  });
});
