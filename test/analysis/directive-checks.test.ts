/**
 * The suppression comments' own checks (pipeline/directives.ts; docs/model.md, "Suppressions and
 * declarations"): a rule id the catalogue does not know is a warning, with the closest id; with
 * unused-directive reports on, a comment that suppressed nothing is reported, except for a rule
 * that is off, on the lines of a handler analysed only in part, and in a file that holds no
 * consumer. Each case in both modes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runLint } from '../../server/src/pipeline/lint';
import { UNKNOWN_RULE_IN_DIRECTIVE, UNUSED_DISABLE_DIRECTIVE } from '../../server/src/pipeline/directives';
import type { ResolvedConfig } from '../../server/src/config/resolved-config';
import { MODES, TestProject, configWith } from '../helpers/project';
import { lineOf } from '../helpers/lines';

const consumer = (body: string, header = ''): string => `import amqp from 'amqplib';
import { Pool } from 'pg';
${header}
const pool = new Pool();

export async function start(): Promise<void> {
  const channel = await (await amqp.connect('amqp://rabbit')).createChannel();
  await channel.consume('orders', async (msg) => {
    if (!msg) return;
${body}
  });
}
`;

/** Acked before the INSERT: ack-before-process on the ack. */
const ACK_FIRST = (comment: string): string =>
  consumer(`${comment ? `    ${comment}\n` : ''}    channel.ack(msg);
    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [msg.properties.messageId]);`);

/** Correct: nothing to suppress. */
const CORRECT = (comment: string): string =>
  consumer(`    await pool.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [msg.properties.messageId]);
${comment ? `    ${comment}\n` : ''}    channel.ack(msg);`);

interface Case {
  name: string;
  code: string;
  config?: Partial<ResolvedConfig>;
  files?: Record<string, string>;
  /** Directive findings expected in consumer.ts: `<id>@<a text only its line holds>`. */
  expected: string[];
  /** Findings of rules expected in consumer.ts (to show what was suppressed or not). */
  rules?: string[];
}

const CASES: Case[] = [
  {
    name: 'a used comment is not reported',
    code: ACK_FIRST('// delivery-lint-disable-next-line ack-before-process -- telemetry sample'),
    expected: [],
    rules: [],
  },
  {
    name: 'a misspelt rule id is a warning naming the closest rule, and suppresses nothing',
    code: ACK_FIRST('// delivery-lint-disable-next-line ack-befor-process -- telemetry sample'),
    expected: [`${UNKNOWN_RULE_IN_DIRECTIVE}@ack-befor-process`],
    rules: ['ack-before-process'],
  },
  {
    name: 'an id that is not shaped like a rule id is reported too',
    code: CORRECT('/* delivery-lint-disable AckBeforeProcess */'),
    expected: [`${UNKNOWN_RULE_IN_DIRECTIVE}@AckBeforeProcess`],
  },
  {
    name: 'a comment that suppressed nothing is reported',
    code: CORRECT('// delivery-lint-disable-next-line ack-before-process -- was needed once'),
    expected: [`${UNUSED_DISABLE_DIRECTIVE}@was needed once`],
  },
  {
    name: 'a comment for every rule that suppressed nothing is reported',
    code: CORRECT('// delivery-lint-disable-next-line -- was needed once'),
    expected: [`${UNUSED_DISABLE_DIRECTIVE}@was needed once`],
  },
  {
    name: 'of two rules named, the one that suppressed nothing is reported',
    code: ACK_FIRST('// delivery-lint-disable-next-line ack-before-process, double-ack -- telemetry sample'),
    expected: [`${UNUSED_DISABLE_DIRECTIVE}@telemetry sample`],
  },
  {
    name: 'a region that suppressed a finding is used; one that suppressed nothing is not',
    code: ACK_FIRST('/* delivery-lint-disable ack-before-process */').replace(
      "import { Pool } from 'pg';",
      "import { Pool } from 'pg';\n/* delivery-lint-disable double-ack */",
    ),
    expected: [`${UNUSED_DISABLE_DIRECTIVE}@disable double-ack`],
  },
  {
    name: 'a comment for a rule that is off is not reported',
    code: CORRECT('// delivery-lint-disable-next-line ack-before-process -- was needed once'),
    config: { rules: { 'ack-before-process': 'off' } },
    expected: [],
  },
  {
    name: 'a comment on the lines of a handler analysed in part is not reported (its finding may be out of sight)',
    code: consumer(`    // delivery-lint-disable-next-line ack-before-process -- the step below acks
    await step1(msg);
    channel.ack(msg);`).replace(
      'const pool = new Pool();',
      `const pool = new Pool();
async function step1(m: unknown): Promise<void> { await step2(m); }
async function step2(m: unknown): Promise<void> { await step3(m); }
async function step3(m: unknown): Promise<void> { await pool.query('INSERT INTO audit (body) VALUES ($1)', [String(m)]); }`,
    ),
    config: { maxDepth: 1 },
    expected: [],
  },
];

for (const mode of MODES) {
  describe(`suppression comment checks (${mode})`, () => {
    let project: TestProject;
    let counter = 0;
    before(() => {
      project = new TestProject(mode, 'directive-checks');
    });
    after(() => project?.remove());

    const lint = (files: Record<string, string>, config: Partial<ResolvedConfig>, unused = true) => {
      const folder = `case-${counter++}`;
      project.write(Object.fromEntries(Object.entries(files).map(([name, text]) => [`${folder}/${name}`, text])));
      const run = runLint({
        cwd: project.root,
        paths: [project.path(folder)],
        config: configWith(config),
        ...(unused ? { unusedDirectives: 'error' as const } : {}),
      });
      return { run, file: (name: string) => project.path(`${folder}/${name}`) };
    };
    for (const c of CASES) {
      test(c.name, () => {
        const { run, file } = lint({ 'consumer.ts': c.code, ...(c.files ?? {}) }, c.config ?? {});
        const mine = run.findings.filter((finding) => finding.location.filePath === file('consumer.ts'));
        const directive = mine.filter(
          (finding) => finding.ruleId === UNKNOWN_RULE_IN_DIRECTIVE || finding.ruleId === UNUSED_DISABLE_DIRECTIVE,
        );
        assert.deepEqual(
          directive.map((finding) => `${finding.ruleId}:${finding.location.line}`),
          c.expected.map((entry) => {
            const [id, text] = entry.split('@');
            return `${id}:${lineOf(c.code, text)}`;
          }),
        );
        for (const finding of directive) {
          assert.equal(finding.severity, finding.ruleId === UNUSED_DISABLE_DIRECTIVE ? 'error' : 'warning');
          if (finding.ruleId === UNKNOWN_RULE_IN_DIRECTIVE)
            assert.equal(
              finding.data?.rule,
              c.expected.find((entry) => entry.startsWith(UNKNOWN_RULE_IN_DIRECTIVE))!.split('@')[1],
            );
        }
        if (c.rules)
          assert.deepEqual(
            mine.filter((finding) => !directive.includes(finding)).map((finding) => finding.ruleId),
            c.rules,
          );
      });
    }

    test('the closest rule id is suggested', () => {
      const { run } = lint({ 'consumer.ts': ACK_FIRST('// delivery-lint-disable-next-line ack-befor-process') }, {});
      const unknown = run.findings.find((finding) => finding.ruleId === UNKNOWN_RULE_IN_DIRECTIVE);
      assert.match(unknown?.message ?? '', /Did you mean "ack-before-process"\?/);
    });

    test('without unused-directive reports, an unused comment is quiet, and an unknown id still warns', () => {
      const { run } = lint(
        {
          'consumer.ts': CORRECT('// delivery-lint-disable-next-line ack-before-process -- was needed once'),
          'other.consumer.ts': CORRECT('// delivery-lint-disable-next-line doubel-ack'),
        },
        {},
        false,
      );
      assert.deepEqual(
        run.findings.map((finding) => finding.ruleId),
        [UNKNOWN_RULE_IN_DIRECTIVE],
      );
    });

    test('a comment in a file with no consumer and no handler is not judged (it may be meant for one not linted)', () => {
      const { run } = lint(
        {
          'consumer.ts': CORRECT(''),
          'helpers.ts': `// delivery-lint-disable-next-line ack-before-process -- the caller acks\nexport const noop = (): void => undefined;\n`,
        },
        {},
      );
      assert.deepEqual(
        run.findings.map((finding) => finding.ruleId),
        [],
      );
    });
  });
}
