/** runCli in-process, with a fake analyzer: exit codes, streams, config merging, progress. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LintRequest, LintRun } from '../../server/src/pipeline/api';
import type { Finding } from '../../server/src/model';
import { runCli, type CliIO } from '../../server/src/cli/cli';
import type { EslintResult } from '../../server/src/cli/formatters/json';
import { finding, lintRun, loc, parseAs, RULES, sampleFindings, type ExplainedJson, type SarifLog } from './helpers';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  requests: LintRequest[];
  engineLoads: number;
}

interface FakeOptions {
  run?: LintRun | ((request: LintRequest) => LintRun);
  stdoutTTY?: boolean;
  stderrTTY?: boolean;
  env?: Record<string, string | undefined>;
  now?: () => number;
  loadEngineThrows?: Error;
}

let root: string;
let cwd: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-run-'));
  cwd = path.join(root, 'project');
  fs.mkdirSync(path.join(cwd, 'src'), { recursive: true });
  fs.writeFileSync(path.join(cwd, 'src/orders.ts'), 'export {};\n');
  fs.writeFileSync(path.join(cwd, 'tsconfig.json'), '{}\n');
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function cli(argv: string[], fake: FakeOptions = {}, dir = cwd): Captured {
  const captured: Captured = { code: -1, stdout: '', stderr: '', requests: [], engineLoads: 0 };
  const io: CliIO = {
    cwd: dir,
    env: fake.env ?? {},
    stdout: { write: (chunk: string) => (captured.stdout += chunk), isTTY: fake.stdoutTTY ?? false },
    stderr: { write: (chunk: string) => (captured.stderr += chunk), isTTY: fake.stderrTTY ?? false },
    now: fake.now,
    version: '1.2.3',
    loadEngine: () => {
      captured.engineLoads++;
      if (fake.loadEngineThrows) throw fake.loadEngineThrows;
      return {
        rules: RULES,
        runLint: (request: LintRequest) => {
          captured.requests.push(request);
          const run = fake.run ?? lintRun([]);
          return typeof run === 'function' ? run(request) : run;
        },
      };
    },
  };
  captured.code = runCli(argv, io);
  return captured;
}

function withFindings(findings: Finding[], overrides: Partial<LintRun> = {}): LintRun {
  return lintRun(findings, overrides);
}

const warning = (line: number) =>
  finding('missing-event-id-check', 'warning', `warning ${line}`, loc('src/orders.ts', line, 1));
const info = (line: number) =>
  finding('producer-missing-event-id', 'info', `info ${line}`, loc('src/orders.ts', line, 1));
const error = (line: number) => finding('double-ack', 'error', `error ${line}`, loc('src/orders.ts', line, 1));

describe('runCli: usage and configuration errors exit 2 with one line', () => {
  it('rejects a path that does not exist, before loading the analyzer', () => {
    const result = cli(['src', 'nope']);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'delivery-lint: path not found: nope\n');
    assert.equal(result.stdout, '');
    assert.equal(result.engineLoads, 0);
  });

  it('rejects an unknown option', () => {
    const result = cli(['--colour']);
    assert.deepEqual([result.code, result.stderr], [2, 'delivery-lint: unknown option "--colour"; see --help\n']);
  });

  it('rejects a bad --format', () => {
    const result = cli(['--format', 'xml']);
    assert.deepEqual(
      [result.code, result.stderr],
      [2, 'delivery-lint: --format must be one of stylish, json, sarif, github (got "xml")\n'],
    );
  });

  it('rejects an unknown rule in --rule', () => {
    const result = cli(['--rule', 'no-such-rule:off']);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `delivery-lint: unknown rule "no-such-rule" in --rule (known rules: ${RULES.map((r) => r.id).join(', ')})\n`,
    );
    assert.equal(result.requests.length, 0);
  });

  it('rejects a missing --project file', () => {
    const result = cli(['--project', 'tsconfig.missing.json']);
    assert.deepEqual(
      [result.code, result.stderr],
      [2, 'delivery-lint: --project file not found: tsconfig.missing.json\n'],
    );
  });

  it('rejects a missing --config file', () => {
    const result = cli(['--config', 'missing.json']);
    assert.deepEqual([result.code, result.stderr], [2, 'delivery-lint: config file not found: missing.json\n']);
  });

  it('rejects a bad config file with the key and allowed values', () => {
    fs.writeFileSync(path.join(root, 'bad.json'), '{"guardStrategy": "mongo"}');
    const result = cli(['--config', '../bad.json']);
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `delivery-lint: ${path.join(root, 'bad.json')}: "guardStrategy" must be one of redis, sql, powertools, memory (got "mongo")\n`,
    );
  });

  it('rejects a config file naming an unknown rule', () => {
    fs.writeFileSync(path.join(root, 'rules.json'), '{"rules": {"nope": "off"}}');
    const result = cli(['--config', path.join(root, 'rules.json')]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /^delivery-lint: .*rules\.json: "rules" names an unknown rule "nope" \(known rules: ack-before-process, /,
    );
  });
});

describe('runCli: help and version', () => {
  it('prints help and exits 0 without the analyzer', () => {
    const result = cli(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^delivery-lint 1\.2\.3/);
    assert.match(result.stdout, /Usage: delivery-lint \[options\] \[paths\.\.\.\]/);
    assert.equal(result.stderr, '');
    assert.equal(result.engineLoads, 0);
  });

  it('prints the version', () => {
    const result = cli(['--version']);
    assert.deepEqual([result.code, result.stdout, result.stderr], [0, '1.2.3\n', '']);
  });
});

describe('runCli: the lint request', () => {
  it('lints the working directory by default, with absolute paths', () => {
    const result = cli([]);
    assert.equal(result.code, 0);
    assert.equal(result.requests.length, 1);
    const [request] = result.requests;
    assert.equal(request.cwd, cwd);
    assert.deepEqual(request.paths, [cwd]);
    assert.equal(request.project, undefined);
    assert.equal(typeof request.onProgress, 'function');
  });

  it('passes the paths and the project resolved against the working directory', () => {
    const [request] = cli(['src', 'src/orders.ts', '--project', 'tsconfig.json']).requests;
    assert.deepEqual(request.paths, [path.join(cwd, 'src'), path.join(cwd, 'src/orders.ts')]);
    assert.equal(request.project, path.join(cwd, 'tsconfig.json'));
  });

  it('merges --rule overrides over the config file, warn meaning warning', () => {
    const dir = path.join(root, 'with-config');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'delivery-lint.config.json'),
      JSON.stringify({ rules: { 'double-ack': 'off', 'ack-before-process': 'info' }, maxDepth: 4 }),
    );
    const [request] = cli(
      ['--rule', 'double-ack:warn', '--rule', 'missing-event-id-check:off', '--rule=producer-missing-event-id:error'],
      {},
      dir,
    ).requests;
    assert.deepEqual(request.config.rules, {
      'double-ack': 'warning',
      'ack-before-process': 'info',
      'missing-event-id-check': 'off',
      'producer-missing-event-id': 'error',
    });
    assert.equal(request.config.maxDepth, 4);
    assert.equal(request.config.configPath, path.join(dir, 'delivery-lint.config.json'));
  });
});

describe('runCli: exit codes', () => {
  it('is 0 with no findings', () => {
    const result = cli([]);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, 'No problems found in 3 files (1 consumer)\n');
  });

  it('is 1 with an error finding', () => {
    assert.equal(cli([], { run: withFindings([error(1), warning(2)]) }).code, 1);
  });

  it('is 0 with warnings and infos only, when --max-warnings is not given', () => {
    assert.equal(cli([], { run: withFindings([warning(1), warning(2), info(3)]) }).code, 0);
  });

  it('is 1 when warnings exceed --max-warnings, infos not counted', () => {
    const run = withFindings([warning(1), warning(2), info(3), info(4), info(5)]);
    assert.equal(cli(['--max-warnings', '2'], { run }).code, 0);
    const over = cli(['--max-warnings', '1'], { run });
    assert.equal(over.code, 1);
    assert.match(over.stderr, /^delivery-lint: too many warnings \(2, maximum 1\)$/m);
    assert.equal(cli(['--max-warnings', '0'], { run: withFindings([info(1)]) }).code, 0);
  });

  it('still counts warnings hidden by --quiet for --max-warnings', () => {
    const result = cli(['--quiet', '--max-warnings', '0'], { run: withFindings([warning(1)]) });
    assert.equal(result.code, 1);
    assert.ok(!result.stdout.includes('warning 1'));
  });
});

describe('runCli: output', () => {
  it('hides warnings and infos with --quiet', () => {
    const result = cli(['--quiet', '--format', 'json'], { run: withFindings([error(1), warning(2), info(3)]) });
    const results = parseAs<EslintResult[]>(result.stdout);
    const messages = results.flatMap((r) => r.messages.map((m) => m.message));
    assert.deepEqual(messages, ['error 1']);
    assert.equal(result.code, 1);
  });

  it('prints unanalysable files and analyzer warnings on stderr (and as SARIF notifications), without changing the exit code', () => {
    const run = withFindings([], {
      problems: [{ filePath: path.join(cwd, 'src/huge.ts'), message: 'skipped: larger than 2 MB' }],
      warnings: ['no tsconfig.json found; using default compiler options'],
    });
    for (const format of ['json', 'sarif', 'github', 'stylish']) {
      const result = cli(['--format', format], { run });
      assert.equal(result.code, 0, format);
      assert.equal(
        result.stderr,
        'delivery-lint: warning: src/huge.ts: skipped: larger than 2 MB\n' +
          'delivery-lint: warning: no tsconfig.json found; using default compiler options\n',
        format,
      );
      if (format === 'sarif') {
        const sarif = parseAs<{
          runs: {
            invocations: {
              executionSuccessful: boolean;
              toolExecutionNotifications: { level: string; message: { text: string } }[];
            }[];
          }[];
        }>(result.stdout);
        const [invocation] = sarif.runs[0].invocations;
        assert.equal(invocation.executionSuccessful, true);
        assert.deepEqual(
          invocation.toolExecutionNotifications.map((notification) => [notification.level, notification.message.text]),
          [['warning', 'src/huge.ts: skipped: larger than 2 MB']],
        );
      } else assert.ok(!result.stdout.includes('huge.ts'), format);
      if (format === 'json') JSON.parse(result.stdout);
    }
  });

  it('writes --output-file instead of stdout, creating its folder', () => {
    const target = path.join(root, 'reports/nested/out.sarif');
    const result = cli(['--format', 'sarif', '--output-file', target], { run: withFindings(sampleFindings()) });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    const sarif = parseAs<SarifLog>(fs.readFileSync(target, 'utf8'));
    assert.equal(sarif.runs[0].results.length, 3);
  });

  it('fails with 2 when --output-file cannot be written', () => {
    fs.writeFileSync(path.join(root, 'a-file'), '');
    const result = cli(['--output-file', path.join(root, 'a-file/out.txt')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^delivery-lint: cannot write --output-file .*a-file\/out\.txt: (ENOTDIR|EEXIST)\n$/);
  });

  it('colours stylish output only on a TTY without NO_COLOR', () => {
    const run = withFindings([error(1)]);
    assert.ok(cli([], { run, stdoutTTY: true }).stdout.includes('\u001b['));
    assert.ok(!cli([], { run, stdoutTTY: true, env: { NO_COLOR: '1' } }).stdout.includes('\u001b['));
    assert.ok(!cli([], { run, stdoutTTY: false }).stdout.includes('\u001b['));
    const target = path.join(root, 'plain.txt');
    cli(['--output-file', target], { run, stdoutTTY: true });
    assert.ok(!fs.readFileSync(target, 'utf8').includes('\u001b['));
  });

  it('keeps machine formats parseable with --explain, sending the consumers to stderr for sarif and github', () => {
    const run = withFindings(sampleFindings());
    const json = cli(['--format', 'json', '--explain'], { run });
    assert.deepEqual(Object.keys(parseAs<ExplainedJson>(json.stdout)), ['results', 'consumers']);
    const sarif = cli(['--format', 'sarif', '--explain'], { run });
    assert.equal(parseAs<SarifLog>(sarif.stdout).version, '2.1.0');
    assert.match(
      sarif.stderr,
      /^kafkajs · orders\.placed · eachMessage · implicit-after-return · .*src\/orders\.ts:12$/m,
    );
    const github = cli(['--format', 'github', '--explain'], { run });
    assert.ok(
      github.stdout
        .split('\n')
        .filter(Boolean)
        .every((line) => line.startsWith('::')),
    );
    assert.match(github.stderr, /1 consumer found/);
  });
});

describe('runCli: internal errors', () => {
  it('reports an analyzer crash in one line, exit 2, without a stack trace', () => {
    const result = cli([], {
      run: () => {
        throw new Error('boom\n  at somewhere');
      },
    });
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'delivery-lint: internal error: boom at somewhere\n');
  });

  it('prints the stack with DELIVERY_LINT_DEBUG', () => {
    const result = cli([], {
      env: { DELIVERY_LINT_DEBUG: '1' },
      run: () => {
        throw new Error('boom');
      },
    });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Error: boom\n\s+at /);
  });

  it('reports a failure to load the analyzer as an internal error', () => {
    const result = cli([], { loadEngineThrows: new Error('cannot load ts-morph') });
    assert.deepEqual([result.code, result.stderr], [2, 'delivery-lint: internal error: cannot load ts-morph\n']);
  });
});

describe('runCli: progress line', () => {
  function progressRun(times: number[]): { stderr: string; stdout: string } {
    let clock = 0;
    const result = cli([], {
      stderrTTY: true,
      now: () => clock,
      run: (request) => {
        times.forEach((time, index) => {
          clock = time;
          request.onProgress?.(index + 1, times.length);
        });
        return withFindings([]);
      },
    });
    return result;
  }

  it('stays silent for a run under a second', () => {
    assert.equal(progressRun([100, 500, 900]).stderr, '');
  });

  it('shows one updating line after a second, cleared at the end', () => {
    const { stderr } = progressRun([500, 1200, 1250, 1400, 1500]);
    assert.equal(
      stderr,
      '\r\u001b[Kdelivery-lint: analysing 2/5 files' +
        '\r\u001b[Kdelivery-lint: analysing 4/5 files' +
        '\r\u001b[Kdelivery-lint: analysing 5/5 files' +
        '\r\u001b[K',
    );
  });

  it('never draws when stderr is not a TTY', () => {
    let clock = 0;
    const result = cli([], {
      stderrTTY: false,
      now: () => clock,
      run: (request) => {
        clock = 5000;
        request.onProgress?.(1, 1);
        return withFindings([]);
      },
    });
    assert.equal(result.stderr, '');
  });

  it('clears the line before reporting a crash', () => {
    let clock = 0;
    const result = cli([], {
      stderrTTY: true,
      now: () => clock,
      run: (request) => {
        clock = 2000;
        request.onProgress?.(1, 2);
        throw new Error('boom');
      },
    });
    assert.equal(
      result.stderr,
      '\r\u001b[Kdelivery-lint: analysing 1/2 files\r\u001b[Kdelivery-lint: internal error: boom\n',
    );
  });
});
