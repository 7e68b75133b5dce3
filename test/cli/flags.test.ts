/**
 * runCli's ESLint-habit options, in-process with a fake analyzer: what each puts in the lint
 * request (--ignore-pattern, --stdin, --cache, --report-unused-disable-directives), --print-config,
 * the --fix loop (safe fixes only, passes, the diff of --fix-dry-run) and the suppressions file
 * (ESLint's bulk suppressions: counts, more findings than counted, fewer, pruning).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { LintRequest, LintRun } from '../../server/src/pipeline/api';
import type { Finding, FixSuggestion } from '../../server/src/model';
import { runCli, type CliIO } from '../../server/src/cli/cli';
import type { EslintResult } from '../../server/src/cli/formatters/json';
import { parseConfigText } from '../../server/src/config/load';
import type { SourceLocation } from '../../server/src/model';
import { finding, lintRun, parseAs, RULES } from './helpers';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  requests: LintRequest[];
}

let root: string;
let cwd: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-flags-'));
  cwd = path.join(root, 'project');
  fs.mkdirSync(path.join(cwd, 'src'), { recursive: true });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** A location in the test's project (helpers' loc() is in a project that does not exist). */
function loc(file: string, line: number, column: number): SourceLocation {
  return { filePath: path.join(cwd, file), start: 0, end: 0, line, column, endLine: line, endColumn: column + 10 };
}

function cli(argv: string[], run: (request: LintRequest) => LintRun = () => lintRun([]), stdin = ''): Captured {
  const captured: Captured = { code: -1, stdout: '', stderr: '', requests: [] };
  const io: CliIO = {
    cwd,
    env: {},
    stdout: { write: (chunk: string) => (captured.stdout += chunk), isTTY: false },
    stderr: { write: (chunk: string) => (captured.stderr += chunk), isTTY: false },
    version: '1.2.3',
    build: '1.2.3+test',
    readStdin: () => stdin,
    loadEngine: () => ({
      rules: RULES,
      runLint: (request: LintRequest) => {
        captured.requests.push({ ...request, contents: new Map(request.contents ?? []) });
        return run(request);
      },
    }),
  };
  captured.code = runCli(argv, io);
  return captured;
}

describe('runCli: what the options put in the lint request', () => {
  it('--ignore-pattern adds to the config\'s "ignore"', () => {
    fs.writeFileSync(path.join(cwd, 'delivery-lint.config.json'), JSON.stringify({ ignore: ['dist/**'] }));
    try {
      const [request] = cli(['--ignore-pattern', 'src/generated/**', '--ignore-pattern=**/*.spec.ts']).requests;
      assert.deepEqual(request.config.ignore, ['dist/**', 'src/generated/**', '**/*.spec.ts']);
    } finally {
      fs.rmSync(path.join(cwd, 'delivery-lint.config.json'));
    }
  });

  it('--stdin lints the text read as the file --stdin-filename names, which need not exist', () => {
    const result = cli(['--stdin', '--stdin-filename', 'src/new.consumer.ts'], () => lintRun([]), 'export {};\n');
    const [request] = result.requests;
    const file = path.join(cwd, 'src/new.consumer.ts');
    assert.deepEqual(request.paths, [file]);
    assert.deepEqual([...request.contents!], [[file, 'export {};\n']]);
    assert.equal(request.cache, undefined);
  });

  it('--stdin without a name lints <stdin>.ts in the working folder', () => {
    const [request] = cli(['--stdin'], () => lintRun([]), 'x').requests;
    assert.deepEqual(request.paths, [path.join(cwd, '<stdin>.ts')]);
  });

  it('--cache keeps the cache in .delivery-lint-cache, or where --cache-location says, keyed by the build', () => {
    assert.deepEqual(cli(['--cache']).requests[0].cache, {
      location: path.join(cwd, '.delivery-lint-cache'),
      version: '1.2.3+test',
      write: true,
    });
    assert.equal(
      cli(['--cache', '--cache-location', 'tmp/lint.cache']).requests[0].cache?.location,
      path.join(cwd, 'tmp/lint.cache'),
    );
    assert.equal(
      cli(['--cache', '--cache-location', 'tmp/']).requests[0].cache?.location,
      path.join(cwd, 'tmp/.delivery-lint-cache'),
    );
    fs.mkdirSync(path.join(cwd, 'cachedir'), { recursive: true });
    assert.equal(
      cli(['--cache', '--cache-location', 'cachedir']).requests[0].cache?.location,
      path.join(cwd, 'cachedir/.delivery-lint-cache'),
    );
    assert.equal(
      cli(['--cache', '--stdin'], () => lintRun([]), 'x').requests[0].cache?.write,
      false,
      'standard input is not the file on disk',
    );
    assert.equal(
      cli(['--cache', '--fix-dry-run']).requests[0].cache?.write,
      false,
      'a dry run is not the file on disk',
    );
    assert.equal(cli([]).requests[0].cache, undefined);
  });

  it('--report-unused-disable-directives asks for them as errors; the -severity option picks another level', () => {
    assert.equal(cli([]).requests[0].unusedDirectives, undefined);
    assert.equal(cli(['--report-unused-disable-directives']).requests[0].unusedDirectives, 'error');
    assert.equal(cli(['--report-unused-disable-directives-severity', 'warn']).requests[0].unusedDirectives, 'warning');
    assert.equal(cli(['--report-unused-disable-directives-severity', 'off']).requests[0].unusedDirectives, undefined);
  });
});

describe('runCli: --print-config', () => {
  it('prints the configuration as a complete config file, with the command line on top, and lints nothing', () => {
    fs.writeFileSync(
      path.join(cwd, 'delivery-lint.config.json'),
      JSON.stringify({ rules: { 'double-ack': 'warn' }, maxDepth: 5 }),
    );
    try {
      const result = cli([
        '--print-config',
        'src/orders.ts',
        '--rule',
        'ack-before-process:off',
        '--ignore-pattern',
        'src/legacy/**',
      ]);
      assert.equal(result.code, 0);
      assert.equal(result.requests.length, 0);
      const printed = parseConfigText(result.stdout, 'printed', {
        isKnownRule: (id) => RULES.some((rule) => rule.id === id),
        knownRuleIds: () => RULES.map((rule) => rule.id),
      });
      assert.deepEqual(printed.rules, {
        'ack-before-process': 'off',
        'missing-event-id-check': 'warning',
        'producer-missing-event-id': 'info',
        'double-ack': 'warning',
      });
      assert.equal(printed.maxDepth, 5);
      assert.deepEqual(printed.ignore, ['src/legacy/**']);
      assert.match(result.stderr, /src\/orders\.ts: config from delivery-lint\.config\.json/);
    } finally {
      fs.rmSync(path.join(cwd, 'delivery-lint.config.json'));
    }
  });

  it('says when the file is ignored', () => {
    const result = cli(['--print-config', 'src/legacy/old.ts', '--ignore-pattern', 'src/legacy/**']);
    assert.match(result.stderr, /src\/legacy\/old\.ts is ignored \(pattern "src\/legacy\/\*\*"\)/);
  });
});

describe('runCli: --fix and --fix-dry-run', () => {
  const file = (): string => path.join(cwd, 'src/publish.ts');
  const ORIGINAL = "channel.publish('orders', 'placed', body);\nchannel.publish('orders', 'paid', body);\n";

  beforeEach(() => fs.writeFileSync(file(), ORIGINAL));

  /** One finding per `publish(...)` without a messageId, with a safe fix adding one; a second, unsafe, fix too. */
  function analyzer(request: LintRequest): LintRun {
    const text = request.contents?.get(file()) ?? fs.readFileSync(file(), 'utf8');
    const findings: Finding[] = [];
    for (const match of text.matchAll(/body\)/g)) {
      const at = match.index + 'body'.length;
      const safe: FixSuggestion = {
        title: 'Add messageId',
        safe: true,
        preferred: true,
        edits: [{ filePath: file(), start: at, end: at, newText: ', { messageId: randomUUID() }' }],
      };
      const unsafe: FixSuggestion = {
        title: 'Delete the publish',
        safe: false,
        edits: [{ filePath: file(), start: 0, end: text.length, newText: '' }],
      };
      const line = text.slice(0, at).split('\n').length;
      findings.push({
        ...finding('producer-missing-event-id', 'info', 'no messageId', loc('src/publish.ts', line, 1)),
        fixes: [unsafe, safe],
      });
    }
    // A finding whose fix is a suggestion only: it stays.
    findings.push({
      ...finding('double-ack', 'error', 'acked twice', loc('src/publish.ts', 1, 1)),
      fixes: [{ title: 'Remove the ack', safe: false, edits: [{ filePath: file(), start: 0, end: 1, newText: '' }] }],
    });
    return lintRun(findings, { filesLinted: [file()] });
  }

  it('--fix applies the safe fixes only, analyses again, writes the file and reports what is left', () => {
    const result = cli(['--fix', '--format', 'json'], analyzer);
    const fixed =
      "channel.publish('orders', 'placed', body, { messageId: randomUUID() });\nchannel.publish('orders', 'paid', body, { messageId: randomUUID() });\n";
    assert.equal(fs.readFileSync(file(), 'utf8'), fixed);
    assert.equal(result.requests.length, 2, 'one analysis, one after the fixes');
    const [report] = parseAs<EslintResult[]>(result.stdout);
    assert.deepEqual(
      report.messages.map((message) => message.ruleId),
      ['double-ack'],
    );
    assert.equal(report.output, fixed, "ESLint's output: the fixed text");
    assert.equal(result.code, 1, 'the double-ack error is left');
    assert.match(result.stderr, /applied 2 safe fixes in 1 file/);
  });

  it('--fix-dry-run prints the diff and writes nothing', () => {
    const result = cli(['--fix-dry-run'], analyzer);
    assert.equal(fs.readFileSync(file(), 'utf8'), ORIGINAL);
    assert.ok(
      result.stdout.startsWith(`--- a/src/publish.ts
+++ b/src/publish.ts
@@ -1,2 +1,2 @@
-channel.publish('orders', 'placed', body);
-channel.publish('orders', 'paid', body);
+channel.publish('orders', 'placed', body, { messageId: randomUUID() });
+channel.publish('orders', 'paid', body, { messageId: randomUUID() });
`),
      result.stdout,
    );
    assert.match(result.stdout, /acked twice/);
    assert.match(result.stderr, /--fix-dry-run: 2 safe fixes in 1 file, nothing written/);
  });

  it('overlapping fixes wait for the next pass, made on the fixed text', () => {
    // Both fixes insert an import at the top: the second waits, and is not needed any more.
    const imports = (request: LintRequest): LintRun => {
      const text = request.contents?.get(file()) ?? fs.readFileSync(file(), 'utf8');
      const missing = !text.startsWith('import');
      return lintRun(
        missing
          ? [1, 2].map((line) => ({
              ...finding('producer-missing-event-id', 'info', `publish ${line}`, loc('src/publish.ts', line, 1)),
              fixes: [
                {
                  title: 'import',
                  safe: true,
                  edits: [
                    { filePath: file(), start: 0, end: 0, newText: "import { randomUUID } from 'node:crypto';\n" },
                  ],
                },
              ],
            }))
          : [],
        { filesLinted: [file()] },
      );
    };
    const result = cli(['--fix'], imports);
    assert.equal(fs.readFileSync(file(), 'utf8'), `import { randomUUID } from 'node:crypto';\n${ORIGINAL}`);
    assert.equal(result.code, 0);
  });

  it('stylish says how many findings have a safe fix, without --fix', () => {
    assert.match(cli([], analyzer).stdout, /2 problems have a safe fix: run with --fix to apply it/);
    assert.doesNotMatch(cli(['--fix'], analyzer).stdout, /run with --fix/);
  });
});

describe('runCli: the suppressions file', () => {
  const suppressions = (): string => path.join(cwd, 'delivery-lint-suppressions.json');
  const files = ['src/a.ts', 'src/b.ts'];
  let current: Finding[] = [];
  const analyzer = (): LintRun => lintRun(current, { filesLinted: files.map((file) => path.join(cwd, file)) });
  const at = (file: string, rule: string, line: number, severity: Finding['severity'] = 'error'): Finding =>
    finding(rule, severity, `${rule} ${file}:${line}`, loc(file, line, 1));

  beforeEach(() => {
    fs.rmSync(suppressions(), { force: true });
    for (const file of files) fs.writeFileSync(path.join(cwd, file), 'export {};\n');
  });

  it('--suppress-all records the counts per file and rule; the next run reports nothing and exits 0', () => {
    current = [
      at('src/a.ts', 'double-ack', 3),
      at('src/a.ts', 'double-ack', 9),
      at('src/b.ts', 'missing-event-id-check', 2, 'warning'),
    ];
    const first = cli(['--suppress-all'], analyzer);
    assert.equal(first.code, 0);
    assert.deepEqual(JSON.parse(fs.readFileSync(suppressions(), 'utf8')), {
      'src/a.ts': { 'double-ack': { count: 2 } },
      'src/b.ts': { 'missing-event-id-check': { count: 1 } },
    });
    const next = cli(['--max-warnings', '0'], analyzer);
    assert.deepEqual([next.code, next.stdout], [0, 'No problems found in 2 files (1 consumer)\n']);
  });

  it('more findings than counted: all of them are reported', () => {
    current = [at('src/a.ts', 'double-ack', 3)];
    cli(['--suppress-all'], analyzer);
    current = [at('src/a.ts', 'double-ack', 3), at('src/a.ts', 'double-ack', 12)];
    const result = cli(['--format', 'json'], analyzer);
    assert.equal(result.code, 1);
    assert.equal(parseAs<EslintResult[]>(result.stdout).flatMap((entry) => entry.messages).length, 2);
  });

  it('fewer findings than counted: exit 2 until --prune-suppressions lowers the counts', () => {
    current = [at('src/a.ts', 'double-ack', 3), at('src/a.ts', 'double-ack', 9), at('src/b.ts', 'double-ack', 1)];
    cli(['--suppress-all'], analyzer);
    current = [at('src/a.ts', 'double-ack', 3)];
    const stale = cli([], analyzer);
    assert.equal(stale.code, 2);
    assert.equal(
      stale.stderr,
      'delivery-lint: delivery-lint-suppressions.json counts 2 findings that are gone (src/a.ts: double-ack ×1, src/b.ts: double-ack ×1): remove them with --prune-suppressions, so that new ones are reported\n',
    );
    assert.equal(cli(['--pass-on-unpruned-suppressions'], analyzer).code, 0);
    const pruned = cli(['--prune-suppressions'], analyzer);
    assert.equal(pruned.code, 0);
    assert.deepEqual(JSON.parse(fs.readFileSync(suppressions(), 'utf8')), {
      'src/a.ts': { 'double-ack': { count: 1 } },
    });
    assert.equal(cli([], analyzer).code, 0);
  });

  it('--suppress-rule records one rule; the others are still reported', () => {
    current = [at('src/a.ts', 'double-ack', 3), at('src/b.ts', 'ack-before-process', 4)];
    const result = cli(['--suppress-rule', 'double-ack', '--format', 'json'], analyzer);
    assert.deepEqual(JSON.parse(fs.readFileSync(suppressions(), 'utf8')), {
      'src/a.ts': { 'double-ack': { count: 1 } },
    });
    assert.deepEqual(
      parseAs<EslintResult[]>(result.stdout).flatMap((entry) => entry.messages.map((message) => message.ruleId)),
      ['ack-before-process'],
    );
  });

  it('a file that no longer exists counts as fixed', () => {
    current = [at('src/a.ts', 'double-ack', 3)];
    cli(['--suppress-all'], analyzer);
    fs.rmSync(path.join(cwd, 'src/a.ts'));
    current = [];
    assert.equal(cli([], () => lintRun([], { filesLinted: [path.join(cwd, 'src/b.ts')] })).code, 2);
  });

  it('--suppressions-location names another file; a file that is not suppressions is a usage error', () => {
    current = [at('src/a.ts', 'double-ack', 3)];
    cli(['--suppress-all', '--suppressions-location', 'lint/suppressed.json'], analyzer);
    assert.ok(fs.existsSync(path.join(cwd, 'lint/suppressed.json')));
    assert.equal(cli(['--suppressions-location', 'lint/suppressed.json'], analyzer).code, 0);
    fs.writeFileSync(path.join(cwd, 'lint/bad.json'), '{"src/a.ts": {"double-ack": 1}}');
    const bad = cli(['--suppressions-location', 'lint/bad.json'], analyzer);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /must map files to rule ids to \{ "count": N \}/);
  });

  it('an unknown rule in --suppress-rule is a usage error', () => {
    const result = cli(['--suppress-rule', 'no-such-rule'], analyzer);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown rule "no-such-rule" in --suppress-rule/);
  });
});
