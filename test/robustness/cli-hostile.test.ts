/**
 * The built CLI (dist/cli.js) on hostile workspaces, each a reproduction of issue 12: device files,
 * FIFOs and symlink loops in the tree or named on the command line, unreadable files, files nested
 * too deeply for TypeScript, catastrophic `ignore` globs and configs. Every run must end (the
 * spawn's timeout is a hang guard, not a measurement), stay within a memory cap, name the file it
 * skipped, keep the other files' findings, and exit with the documented code.
 */
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { EslintResult } from '../../server/src/cli/formatters/json';
import { parseAs, runCli, writeProject, type CliResult, type SarifLog } from '../cli/helpers';
import { GOOD_CONSUMER, NESTING_SHAPES } from './fixtures';

let root: string;

function project(name: string, files: Record<string, string>): string {
  return writeProject(root, name, files);
}

function run(args: string[], cwd: string, options: SpawnSyncOptions = {}): CliResult {
  // A heap cap: an unbounded read fails here instead of eating the machine.
  return runCli(args, cwd, { nodeArgs: ['--max-old-space-size=400'], timeout: 90_000, ...options });
}

function messagesOf(stdout: string): string[] {
  return parseAs<EslintResult[]>(stdout).flatMap((file) =>
    file.messages.map((message) => `${path.basename(file.filePath)}:${message.line} ${message.ruleId}`),
  );
}

const GOOD_FINDING = 'good.ts:5 missing-event-id-check';

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-hostile-'));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('special files in the tree', () => {
  it('skips a symlink to /dev/zero with a warning, in bounded memory, and keeps the other findings', () => {
    const dir = project('devzero', { 'src/good.ts': GOOD_CONSUMER });
    fs.symlinkSync('/dev/zero', path.join(dir, 'src/x.ts'));
    const result = run(['--format', 'json', '.'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
    assert.match(result.stderr, /warning: src\/x\.ts: is a character device; skipped/);
  });

  it('skips a FIFO in the tree without opening it', () => {
    const dir = project('fifo-tree', { 'src/good.ts': GOOD_CONSUMER });
    const made = spawnSync('mkfifo', [path.join(dir, 'src/pipe.ts')]);
    if (made.status !== 0) return; // no mkfifo on this system
    const result = run(['--format', 'json', '.'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
    assert.match(result.stderr, /warning: src\/pipe\.ts: is a FIFO \(named pipe\); skipped/);
  });

  it('does not follow a tsconfig.json symlinked to /dev/zero', () => {
    const dir = project('devzero-tsconfig', { 'src/good.ts': GOOD_CONSUMER });
    fs.symlinkSync('/dev/zero', path.join(dir, 'tsconfig.json'));
    const result = run(['--format', 'json', '.'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
    assert.match(result.stderr, /tsconfig\.json could not be read \(is a character device; skipped\)/);
  });

  it('does not follow an import of a module symlinked to /dev/zero', () => {
    const dir = project('devzero-import', {
      'src/good.ts': GOOD_CONSUMER.replace(
        "import { Kafka } from 'kafkajs';",
        "import { Kafka } from 'kafkajs';\nimport './helper';",
      ),
    });
    fs.symlinkSync('/dev/zero', path.join(dir, 'src/helper.ts'));
    const result = run(['--format', 'json', 'src/good.ts'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), ['good.ts:6 missing-event-id-check']);
  });
});

describe('symlinked folders in the tree', () => {
  it('lints a file reached directly, through a symlinked folder and through a symlink once; a link to the parent is walked once', () => {
    const dir = project('folder-links', { 'src/good.ts': GOOD_CONSUMER });
    fs.symlinkSync('src', path.join(dir, 'alias'), 'dir');
    fs.symlinkSync('src/good.ts', path.join(dir, 'link.ts'));
    fs.symlinkSync('..', path.join(dir, 'src', 'up'), 'dir');
    const result = run(['--format', 'json', '.'], dir);
    assert.equal(result.code, 0, result.stderr); // the finding is a warning
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
  });
});

describe('half-typed code', () => {
  it('names the first syntax error of a broker file with its line, and reports what the parsed part shows', () => {
    const dir = project('half-typed', {
      'src/good.ts': `${GOOD_CONSUMER}\nexport function half(x: number) {\n  return x +\n`,
    });
    const result = run(['--format', 'json', '.'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
    assert.match(
      result.stderr,
      /warning: src\/good\.ts: has syntax errors \(line 12: Expression expected\.\); analysed what could be parsed/,
    );
  });
});

describe('paths named on the command line', () => {
  it('a FIFO named explicitly is an error (exit 2), not a hang, and the other file is still reported', () => {
    const dir = project('fifo-explicit', { 'good.ts': GOOD_CONSUMER });
    const made = spawnSync('mkfifo', [path.join(dir, 'pipe.ts')]);
    if (made.status !== 0) return;
    const result = run(['--format', 'json', 'good.ts', 'pipe.ts'], dir);
    assert.equal(result.code, 2, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
    assert.match(result.stderr, /delivery-lint: error: pipe\.ts: is a FIFO \(named pipe\); skipped/);
  });

  it('a symlink loop named explicitly says so (exit 2), not "path not found"', () => {
    const dir = project('loop-explicit', { 'good.ts': GOOD_CONSUMER });
    fs.symlinkSync('loop.ts', path.join(dir, 'loop.ts'));
    const result = run(['--format', 'json', 'good.ts', 'loop.ts'], dir);
    assert.equal(result.code, 2, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
    assert.match(result.stderr, /delivery-lint: error: loop\.ts: is a symlink loop; skipped/);
    assert.doesNotMatch(result.stderr, /path not found/);
  });

  it('an unreadable file named explicitly is an error (exit 2), not "No problems found"', () => {
    const dir = project('unreadable', { 'locked.ts': GOOD_CONSUMER });
    fs.chmodSync(path.join(dir, 'locked.ts'), 0o000);
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(root, 0o755);
    // root reads anything: run as nobody to see the EACCES a user gets.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = run(['locked.ts'], dir, asUser);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /delivery-lint: error: locked\.ts: cannot be read \(EACCES\)/);
    assert.doesNotMatch(result.stdout, /No problems found in 1 file/);
  });

  it('SARIF marks the run unsuccessful and carries the error as a notification', () => {
    const dir = project('loop-sarif', { 'good.ts': GOOD_CONSUMER });
    fs.symlinkSync('loop.ts', path.join(dir, 'loop.ts'));
    const result = run(['--format', 'sarif', 'good.ts', 'loop.ts'], dir);
    assert.equal(result.code, 2);
    const sarif = parseAs<SarifLog>(result.stdout) as unknown as {
      runs: {
        results: unknown[];
        invocations: {
          executionSuccessful: boolean;
          toolExecutionNotifications: { level: string; message: { text: string } }[];
        }[];
      }[];
    };
    const [invocation] = sarif.runs[0].invocations;
    assert.equal(invocation.executionSuccessful, false);
    assert.ok(
      invocation.toolExecutionNotifications.some(
        (notification) =>
          notification.level === 'error' && /loop\.ts: is a symlink loop/.test(notification.message.text),
      ),
    );
    assert.equal(sarif.runs[0].results.length, 1);
  });
});

/** A broker file holding one shape: it is a program root, so a crash on it would end every file's analysis. */
function deepBrokerFile(shape: string, depth: number): string {
  return `import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n${NESTING_SHAPES[shape](depth)}`;
}

describe('deeply nested files', () => {
  it('the reproductions of issue 12 (800 parentheses, 1,000 ifs, 2,000 blocks): no crash, each file analysed or named and skipped, the others reported', () => {
    const dir = project('deep-issue', {
      'src/good.ts': GOOD_CONSUMER,
      'src/parentheses.ts': deepBrokerFile('parentheses', 800),
      'src/ifs.ts': deepBrokerFile('ifBlocks', 1000),
      'src/blocks.ts': deepBrokerFile('blocks', 2000),
    });
    const result = run(['--format', 'json', '.'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
    // Past the nesting limit: named and skipped.
    for (const file of ['ifs', 'blocks'])
      assert.match(result.stderr, new RegExp(`warning: src/${file}\\.ts: is nested [^\\n]*; skipped`), file);
    // Within it, parsed where the stack allows (it depends on how deep the parse is called from):
    // analysed like any file (it registers nothing), or named and skipped; never a crash.
    assert.ok(
      /warning: src\/parentheses\.ts: is nested [^\n]*; skipped/.test(result.stderr) ||
        !/parentheses/.test(result.stderr),
      result.stderr,
    );
    assert.doesNotMatch(result.stderr, /internal error/);
  });

  for (const depth of [3000, 900]) {
    it(`every shape ${depth} deep: no crash, each deep file analysed or named, the other file reported`, () => {
      const files: Record<string, string> = { 'src/good.ts': GOOD_CONSUMER };
      for (const shape of Object.keys(NESTING_SHAPES)) files[`src/${shape}.ts`] = deepBrokerFile(shape, depth);
      const dir = project(`deep-all-${depth}`, files);
      const result = run(['--format', 'json', '.'], dir);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
      assert.doesNotMatch(result.stderr, /internal error/);
      const named = [...result.stderr.matchAll(/warning: src\/(\w+)\.ts: is nested/g)].map((match) => match[1]);
      if (depth === 3000) assert.deepEqual(named.sort(), Object.keys(NESTING_SHAPES).sort());
    });
  }

  it('a deeply nested helper imported by a consumer is left out, the consumer still analysed', () => {
    const dir = project('deep-helper', {
      'src/good.ts': GOOD_CONSUMER.replace(
        "import { Kafka } from 'kafkajs';",
        "import { Kafka } from 'kafkajs';\nimport { f } from './deep';\nexport const y = f;",
      ),
      'src/deep.ts': NESTING_SHAPES.ifBlocks(1500),
    });
    const result = run(['--format', 'json', 'src/good.ts'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), ['good.ts:7 missing-event-id-check']);
    assert.match(result.stderr, /warning: src\/deep\.ts: is nested/);
  });
});

describe('configuration', () => {
  it('an ignore glob that backtracks in a regular expression is matched in linear time', () => {
    const dir = project('glob', {
      'src/good.ts': GOOD_CONSUMER,
      'delivery-lint.config.json': JSON.stringify({ ignore: ['**a**a**a**a**a**a**a**a**a**a**a**a**b'] }),
    });
    fs.mkdirSync(path.join(dir, 'src', 'a'.repeat(36)));
    fs.writeFileSync(path.join(dir, 'src', 'a'.repeat(36), 'other.ts'), GOOD_CONSUMER);
    const result = run(['--format', 'json', '.'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout).sort(), [
      'good.ts:5 missing-event-id-check',
      'other.ts:5 missing-event-id-check',
    ]);
  });

  it('a config of 200,000 nested [ is a configuration error (exit 2), not a crash', () => {
    const dir = project('deep-config', { 'src/good.ts': GOOD_CONSUMER });
    fs.writeFileSync(path.join(dir, 'delivery-lint.config.json'), `{"ignore": ${'['.repeat(200_000)}`);
    const result = run(['.'], dir);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /delivery-lint\.config\.json:1:\d+: invalid JSON: nested more than \d+ levels deep/);
    assert.doesNotMatch(result.stderr, /internal error/);
  });

  it('a tsconfig.json of 200,000 nested [ is reported and the defaults used', () => {
    const dir = project('deep-tsconfig', { 'src/good.ts': GOOD_CONSUMER });
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), `{"compilerOptions": ${'['.repeat(200_000)}`);
    const result = run(['--format', 'json', '.'], dir);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(messagesOf(result.stdout), [GOOD_FINDING]);
    assert.match(result.stderr, /tsconfig\.json could not be read/);
  });

  it('a topic named like an Object.prototype member is not read from the semantics config', () => {
    const source = GOOD_CONSUMER.replace(
      '  await consumer.run({',
      "  await consumer.subscribe({ topic: 'constructor' });\n  await consumer.run({",
    );
    for (const topic of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const dir = project(`proto-${topic}`, { 'src/good.ts': source.replace("'constructor'", `'${topic}'`) });
      const result = run(['--format', 'json', '--explain', '.'], dir);
      assert.equal(result.code, 0, result.stderr);
      const explained = JSON.parse(result.stdout) as {
        consumers: { registration: { source?: string }; declaredSemantics: string }[];
      };
      assert.deepEqual(
        explained.consumers.map((consumer) => [consumer.registration.source ?? '', consumer.declaredSemantics]),
        [[topic, 'at-least-once']],
      );
    }
  });
});
