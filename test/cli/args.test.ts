import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  helpText,
  OPTIONS,
  parseArgs,
  parseRuleOverride,
  UsageError,
  type CliOptions,
} from '../../server/src/cli/args';

/** What parseArgs returns when no option is given. */
const DEFAULTS: CliOptions = {
  paths: [],
  format: 'stylish',
  rules: [],
  quiet: false,
  explain: false,
  help: false,
  version: false,
  fix: false,
  fixDryRun: false,
  cache: false,
  ignorePatterns: [],
  stdin: false,
  suppressAll: false,
  suppressRules: [],
  pruneSuppressions: false,
  passOnUnprunedSuppressions: false,
};

function usageError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected ${argv.join(' ')} to be rejected`);
}

describe('parseArgs', () => {
  it('has defaults', () => {
    assert.deepEqual(parseArgs([]), DEFAULTS);
  });

  it('takes every option in both --opt value and --opt=value forms', () => {
    const spaced = parseArgs([
      'src',
      '--format',
      'sarif',
      '--max-warnings',
      '3',
      '--rule',
      'double-ack:off',
      '--config',
      'conf.json',
      '--project',
      'tsconfig.app.json',
      '--output-file',
      'out.sarif',
      '--quiet',
      '--explain',
      'lib',
    ]);
    const joined = parseArgs([
      'src',
      '--format=sarif',
      '--max-warnings=3',
      '--rule=double-ack:off',
      '--config=conf.json',
      '--project=tsconfig.app.json',
      '--output-file=out.sarif',
      '--quiet',
      '--explain',
      'lib',
    ]);
    const expected = {
      ...DEFAULTS,
      paths: ['src', 'lib'],
      format: 'sarif',
      maxWarnings: 3,
      rules: [{ ruleId: 'double-ack', severity: 'off' }],
      config: 'conf.json',
      project: 'tsconfig.app.json',
      outputFile: 'out.sarif',
      quiet: true,
      explain: true,
      help: false,
      version: false,
    };
    assert.deepEqual(spaced, expected);
    assert.deepEqual(joined, expected);
  });

  it('repeats --rule and keeps the order', () => {
    const options = parseArgs(['--rule', 'a:warn', '--rule=b:error', '--rule', 'a:info']);
    assert.deepEqual(options.rules, [
      { ruleId: 'a', severity: 'warn' },
      { ruleId: 'b', severity: 'error' },
      { ruleId: 'a', severity: 'info' },
    ]);
  });

  it('keeps the last of a repeated single-value option', () => {
    assert.equal(parseArgs(['--format', 'json', '--format', 'github']).format, 'github');
  });

  it('knows the short aliases', () => {
    const options = parseArgs(['-f', 'json', '-c', 'c.json', '-p', 'tsconfig.json', '-o', 'o.json', '-q', '-h', '-v']);
    assert.equal(options.format, 'json');
    assert.equal(options.config, 'c.json');
    assert.equal(options.project, 'tsconfig.json');
    assert.equal(options.outputFile, 'o.json');
    assert.equal(options.quiet, true);
    assert.equal(options.help, true);
    assert.equal(options.version, true);
  });

  it('treats everything after -- as a path, and - as a path', () => {
    assert.deepEqual(parseArgs(['--', '--format', '-x']).paths, ['--format', '-x']);
    assert.deepEqual(parseArgs(['-']).paths, ['-']);
  });

  it('accepts a value with = inside', () => {
    assert.equal(parseArgs(['--config=a=b.json']).config, 'a=b.json');
  });

  it('takes the ESLint-habit options: fixing, caching, standard input, ignore patterns, directives, suppressions', () => {
    assert.deepEqual(
      parseArgs([
        '--fix',
        '--cache',
        '--cache-location',
        '.cache/dl',
        '--ignore-pattern',
        'src/generated/**',
        '--ignore-pattern=**/*.spec.ts',
        '--report-unused-disable-directives',
        '--suppress-rule',
        'double-ack',
        '--suppress-rule=missing-event-id-check',
        '--suppressions-location',
        'lint/suppressions.json',
        '--pass-on-unpruned-suppressions',
        'src',
      ]),
      {
        ...DEFAULTS,
        paths: ['src'],
        fix: true,
        cache: true,
        cacheLocation: '.cache/dl',
        ignorePatterns: ['src/generated/**', '**/*.spec.ts'],
        reportUnusedDirectives: 'error',
        suppressRules: ['double-ack', 'missing-event-id-check'],
        suppressionsLocation: 'lint/suppressions.json',
        passOnUnprunedSuppressions: true,
      },
    );
    assert.deepEqual(parseArgs(['--stdin', '--stdin-filename', 'src/a.ts', '--fix-dry-run']), {
      ...DEFAULTS,
      stdin: true,
      stdinFilename: 'src/a.ts',
      fixDryRun: true,
    });
    assert.equal(parseArgs(['--print-config', 'src/a.ts']).printConfig, 'src/a.ts');
    assert.equal(parseArgs(['--report-unused-disable-directives-severity', 'warn']).reportUnusedDirectives, 'warn');
  });

  it('rejects options that cannot go together, saying why', () => {
    const cases: [string[], string][] = [
      [['--fix', '--fix-dry-run'], '--fix and --fix-dry-run cannot be used together: use one of them'],
      [
        ['--stdin', '--fix'],
        '--stdin and --fix cannot be used together: standard input cannot be written back; use --fix-dry-run',
      ],
      [
        ['--suppress-all', '--suppress-rule', 'double-ack'],
        '--suppress-all and --suppress-rule cannot be used together: use one of them',
      ],
      [
        ['--suppress-all', '--prune-suppressions'],
        '--suppress-all and --prune-suppressions cannot be used together: suppressing rewrites the counts already',
      ],
      [['--stdin', 'src'], '--stdin lints standard input: give no paths (name the file with --stdin-filename)'],
      [['--stdin-filename', 'a.ts'], '--stdin-filename names the file read with --stdin; add --stdin'],
      [
        ['--report-unused-disable-directives-severity', 'loud'],
        '--report-unused-disable-directives-severity must be one of off, warn, error, info (got "loud")',
      ],
    ];
    for (const [argv, message] of cases) assert.equal(usageError(argv), message, argv.join(' '));
  });

  it("takes --max-warnings 0 and ESLint's -1 (no limit)", () => {
    assert.equal(parseArgs(['--max-warnings', '0']).maxWarnings, 0);
    assert.equal(parseArgs(['--max-warnings', '-1']).maxWarnings, undefined);
  });

  it('rejects mistakes with one line naming them', () => {
    const cases: [string[], string][] = [
      [['--colour'], 'unknown option "--colour"; see --help'],
      [['--colour=always'], 'unknown option "--colour"; see --help'],
      [['-x'], 'unknown option "-x"; see --help'],
      [['--format', 'xml'], '--format must be one of stylish, json, sarif, github (got "xml")'],
      [['--format'], 'option --format needs a value (stylish|json|sarif|github); see --help'],
      [['--format', '--quiet'], 'option --format needs a value (stylish|json|sarif|github); see --help'],
      [['--format='], 'option --format needs a value (stylish|json|sarif|github); see --help'],
      [['--max-warnings', 'many'], '--max-warnings must be a whole number of 0 or more (got "many")'],
      [['--max-warnings', '1.5'], '--max-warnings must be a whole number of 0 or more (got "1.5")'],
      [['--max-warnings', '-2'], '--max-warnings must be a whole number of 0 or more (got "-2")'],
      [['--rule', 'double-ack'], '--rule must look like <rule-id>:off|warn|error|info (got "double-ack")'],
      [
        ['--rule', 'double-ack:warning'],
        '--rule must look like <rule-id>:off|warn|error|info (got "double-ack:warning")',
      ],
      [['--rule', ':off'], '--rule must look like <rule-id>:off|warn|error|info (got ":off")'],
      [['--quiet=yes'], 'option --quiet does not take a value; see --help'],
      [['--config'], 'option --config needs a value (<file>); see --help'],
    ];
    for (const [argv, message] of cases) {
      const actual = usageError(argv);
      assert.equal(actual, message, argv.join(' '));
      assert.ok(!actual.includes('\n'));
    }
  });
});

describe('parseRuleOverride', () => {
  it('splits at the last colon', () => {
    assert.deepEqual(parseRuleOverride('plugin:rule:error'), { ruleId: 'plugin:rule', severity: 'error' });
  });
});

describe('helpText', () => {
  it('lists every option and the version', () => {
    const text = helpText('1.2.3');
    assert.ok(text.startsWith('delivery-lint 1.2.3'));
    for (const option of [
      '--format',
      '--max-warnings',
      '--rule',
      '--config',
      '--project',
      '--quiet',
      '--explain',
      '--output-file',
      '--help',
      '--version',
      '--fix',
      '--fix-dry-run',
      '--cache',
      '--cache-location',
      '--ignore-pattern',
      '--stdin',
      '--stdin-filename',
      '--print-config',
      '--report-unused-disable-directives',
      '--report-unused-disable-directives-severity',
      '--suppress-all',
      '--suppress-rule',
      '--suppressions-location',
      '--prune-suppressions',
      '--pass-on-unpruned-suppressions',
    ]) {
      assert.ok(text.includes(option), option);
    }
  });
});

describe('the README', () => {
  it("documents every option in the CLI's options table", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('| option | meaning |'), readme.indexOf('Exit codes:'));
    const documented = new Set([...table.matchAll(/--[a-z-]+/g)].map((match) => match[0]));
    assert.deepEqual(
      Object.keys(OPTIONS).filter((option) => !documented.has(option)),
      [],
    );
  });
});
