/** Hand-built findings, runs and rule metadata for the CLI tests. */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crashTimeline } from '../../server/src/analysis/report/derive-timeline';
import type { LintRun } from '../../server/src/pipeline/api';
import type { ConsumerReport, Finding, FindingSeverity, SourceLocation } from '../../server/src/model';
import type { FormatInput } from '../../server/src/cli/formatters/formatter';
import type { ExplainedConsumer } from '../../server/src/cli/formatters/explain';
import type { EslintResult } from '../../server/src/cli/formatters/json';
import type { buildSarif } from '../../server/src/cli/formatters/sarif';
import type { RuleMeta } from '../../server/src/rules/rule';
import { KAFKA_TRAITS } from '../../server/src/analysis/libraries/kafkajs';

export const CWD = path.resolve('/work-fixture/project');

export function loc(
  file: string,
  line: number,
  column: number,
  endLine = line,
  endColumn = column + 10,
): SourceLocation {
  return { filePath: path.resolve(CWD, file), start: 0, end: 0, line, column, endLine, endColumn };
}

export function finding(
  ruleId: string,
  severity: FindingSeverity,
  message: string,
  location: SourceLocation,
  related: Finding['related'] = [],
): Finding {
  return { ruleId, messageId: 'message', severity, message, location, related, consumerId: 'c1', fixes: [] };
}

export function ruleMeta(id: string, defaultSeverity: FindingSeverity): RuleMeta {
  return {
    id,
    defaultSeverity,
    description: `Description of ${id}.`,
    rationale: `Rationale of ${id}.`,
    docsUrl: `https://example.invalid/docs/rules/${id}.md`,
    fixable: 'suggestion',
    fixes: [`fix ${id}`],
    messages: { message: `Message of ${id}.` },
  };
}

export const RULES: RuleMeta[] = [
  ruleMeta('ack-before-process', 'error'),
  ruleMeta('missing-event-id-check', 'warning'),
  ruleMeta('producer-missing-event-id', 'info'),
  ruleMeta('double-ack', 'error'),
];

export function consumer(overrides: Partial<ConsumerReport> = {}): ConsumerReport {
  const registration = loc('src/orders.ts', 12, 3);
  const report: ConsumerReport = {
    id: 'c1',
    registration: {
      library: 'kafkajs',
      libraryDisplayName: 'KafkaJS',
      traits: KAFKA_TRAITS,
      source: 'orders.placed',
      location: registration,
      ackMode: 'implicit-after-return',
      form: 'eachMessage',
    },
    handlerName: 'handleOrder',
    handlerLocation: loc('src/orders.ts', 14, 5),
    handlerRange: loc('src/orders.ts', 14, 5, 30, 6),
    identityHint: 'topic + partition + message.offset',
    effects: [
      {
        id: 1,
        description: {
          class: 'duplicate-unsafe',
          label: 'Stripe charges.create',
          category: 'payment',
          processing: true,
        },
        location: loc('src/billing.ts', 40, 9),
        chain: [{ location: loc('src/orders.ts', 20, 7), callee: 'chargeCustomer' }],
        handlerLocation: loc('src/orders.ts', 20, 7),
        keyedByMessage: false,
      },
    ],
    settles: [],
    guards: [],
    paths: [{ events: [], exit: 'end' }],
    flow: {
      unprotected: [],
      afterAck: [],
      unawaited: [],
      checks: [],
      claims: [],
      secondSettles: [],
      soleSettles: [],
      settlesBeforeThrow: [],
      beforeCommit: [],
      escapeCandidates: [],
      failures: [],
      exits: [],
      unknown: [],
    },
    declaredSemantics: 'at-least-once',
    effectiveSemantics: 'at-least-once',
    semanticsReasons: ['Stripe charges.create runs again on redelivery (charges the customer a second time)'],
    ...overrides,
  };
  // The pipeline derives timelines for --explain; a report made here gets one the same way.
  return 'timeline' in overrides ? report : { ...report, timeline: crashTimeline(report) };
}

export function lintRun(findings: Finding[], overrides: Partial<LintRun> = {}): LintRun {
  return {
    consumers: [consumer()],
    findings,
    problems: [],
    filesLinted: [
      path.resolve(CWD, 'src/orders.ts'),
      path.resolve(CWD, 'src/billing.ts'),
      path.resolve(CWD, 'src/clean.ts'),
    ],
    filesAnalyzed: 3,
    warnings: [],
    ...overrides,
  };
}

/** Three findings over two files: an error with a related location, a warning, an info. */
export function sampleFindings(): Finding[] {
  return [
    finding(
      'missing-event-id-check',
      'warning',
      'kafkajs consumer of orders.placed reaches Stripe charges.create with no dedup check',
      loc('src/orders.ts', 14, 5),
      [{ location: loc('src/billing.ts', 40, 9), message: 'Stripe charges.create (via chargeCustomer)' }],
    ),
    finding(
      'ack-before-process',
      'error',
      'The offset is committed before the processing completes',
      loc('src/orders.ts', 8, 3, 8, 30),
      [{ location: loc('src/orders.ts', 20, 7), message: 'chargeCustomer runs after the commit' }],
    ),
    finding(
      'producer-missing-event-id',
      'info',
      'producer.send gives consumers no message id',
      loc('src/billing.ts', 3, 1),
    ),
  ];
}

export function formatInput(overrides: Partial<FormatInput> = {}): FormatInput {
  const findings = overrides.findings ?? sampleFindings();
  return {
    run: lintRun(findings),
    findings,
    cwd: CWD,
    rules: RULES,
    version: '9.8.7',
    color: false,
    explain: false,
    hiddenCount: 0,
    ...overrides,
  };
}

/** The SARIF log the sarif formatter writes. */
export type SarifLog = ReturnType<typeof buildSarif>;
/** What `--format json --explain` writes. */
export interface ExplainedJson {
  results: EslintResult[];
  consumers: ExplainedConsumer[];
}

/** Output read back as the type its formatter wrote (the assertions check what matters). */
export function parseAs<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** The built CLI of this checkout. */
export const BUILT_CLI = path.resolve(__dirname, '../../dist/cli.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Writes `files` (relative paths) into `root/name` and returns that folder. */
export function writeProject(root: string, name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** Runs the built CLI in `cwd`, without the environment that changes its output (colours, debug). */
export function runCli(
  args: string[],
  cwd: string,
  options: SpawnSyncOptions & { nodeArgs?: string[] } = {},
): CliResult {
  const { nodeArgs = [], ...spawnOptions } = options;
  const env = { ...process.env };
  delete env.NO_COLOR;
  delete env.DELIVERY_LINT_DEBUG;
  const result = spawnSync(process.execPath, [...nodeArgs, BUILT_CLI, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 120_000,
    ...spawnOptions,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}
