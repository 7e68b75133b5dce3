/**
 * A rule tester in the typescript-eslint style: `valid` cases must produce no finding of the rule,
 * `invalid` cases exactly the listed ones. Every case runs twice: with the broker libraries' types
 * (typed) and without any node_modules (untyped), unless it names its modes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import type { ResolvedConfig } from '../../server/src/config/resolved-config';
import { MODES, Mode, TestProject, configWith, findingsOf } from './project';

export interface RuleTestCase {
  name: string;
  /** The consumer file's code (written as consumer.ts). */
  code: string;
  /** Other files of the case, relative to the case folder (e.g. `services/billing.ts`). */
  files?: Record<string, string>;
  config?: Partial<ResolvedConfig>;
  modes?: readonly Mode[];
}

export interface ExpectedFinding {
  /** 1-based line in the file (consumer.ts unless `file` says otherwise). */
  line: number;
  file?: string;
  /** The id of the rule's message (a key of its meta.messages). */
  messageId: string;
  /** Texts the finding's data must hold: each inside one of its values (a consumer's name, an effect's label, a line). */
  data?: string | string[];
  /** Texts the rendered message must contain: only where the wording itself is what the case tests. */
  message?: string | string[];
  /** Minimum number of related locations. */
  related?: number;
  severity?: 'error' | 'warning' | 'info';
}

export interface InvalidRuleTestCase extends RuleTestCase {
  errors: ExpectedFinding[];
}

interface Prepared {
  folder: string;
  files: string[];
  consumer: string;
}

export function ruleTester(ruleId: string, cases: { valid: RuleTestCase[]; invalid: InvalidRuleTestCase[] }): void {
  const all = [
    ...cases.valid.map((c) => ({ ...c, kind: 'valid' as const })),
    ...cases.invalid.map((c) => ({ ...c, kind: 'invalid' as const })),
  ];
  const names = new Set<string>();
  for (const c of all) {
    assert.ok(!names.has(c.name), `duplicate case name: ${c.name}`);
    names.add(c.name);
  }

  for (const mode of MODES) {
    describe(`${ruleId} (${mode})`, () => {
      let project: TestProject;
      const prepared = new Map<string, Prepared>();
      const results = new Map<string, AnalysisResult>();

      before(() => {
        project = new TestProject(mode, ruleId);
        const runnable = all.filter((c) => (c.modes ?? MODES).includes(mode));
        runnable.forEach((c, index) => {
          const folder = `case-${index}`;
          const files = { 'consumer.ts': c.code, ...(c.files ?? {}) };
          const written = project.write(
            Object.fromEntries(Object.entries(files).map(([name, text]) => [`${folder}/${name}`, text])),
          );
          prepared.set(c.name, { folder, files: written, consumer: project.path(`${folder}/consumer.ts`) });
        });
        // One program per distinct config: cases sharing a config are analysed together.
        const groups = new Map<string, typeof runnable>();
        for (const c of runnable) {
          const key = JSON.stringify(c.config ?? {});
          groups.set(key, [...(groups.get(key) ?? []), c]);
        }
        for (const [key, group] of groups) {
          const config = configWith(JSON.parse(key) as Partial<ResolvedConfig>);
          // Non-source files of a case (a package.json) are written next to it, not linted.
          const files = group
            .flatMap((c) => prepared.get(c.name)!.files)
            .filter((file) => /\.[cm]?[jt]sx?$/.test(file));
          const result = project.analyze(files, config);
          for (const c of group) results.set(c.name, result);
        }
      });

      after(() => project?.remove());

      for (const c of all) {
        if (!(c.modes ?? MODES).includes(mode)) continue;
        test(`${c.kind}: ${c.name}`, () => {
          const result = results.get(c.name)!;
          const { folder } = prepared.get(c.name)!;
          assert.deepEqual(result.problems, [], 'the analysis reported problems');
          const inCase = findingsOf(result, ruleId).filter((finding) =>
            finding.location.filePath.includes(`/${folder}/`),
          );
          const describeFindings = () =>
            inCase
              .map(
                (finding) =>
                  `${finding.location.filePath.split(`/${folder}/`)[1]}:${finding.location.line} ${finding.message}`,
              )
              .join('\n');
          if (c.kind === 'valid') {
            assert.equal(inCase.length, 0, `expected no ${ruleId} finding, got:\n${describeFindings()}`);
            return;
          }
          const expected = (c as InvalidRuleTestCase).errors;
          assert.equal(
            inCase.length,
            expected.length,
            `expected ${expected.length} finding(s), got ${inCase.length}:\n${describeFindings()}`,
          );
          expected.forEach((want, index) => {
            const got = inCase[index];
            const file = want.file ?? 'consumer.ts';
            assert.ok(
              got.location.filePath.endsWith(`/${folder}/${file}`),
              `finding ${index + 1} is in ${got.location.filePath}, expected ${file}`,
            );
            assert.equal(got.location.line, want.line, `finding ${index + 1} line:\n${describeFindings()}`);
            assert.equal(got.messageId, want.messageId, `finding ${index + 1} message id:\n${got.message}`);
            const values = Object.values(got.data ?? {});
            for (const text of [want.data ?? []].flat())
              assert.ok(
                values.some((value) => value.includes(text)),
                `no data value includes ${JSON.stringify(text)}: ${JSON.stringify(got.data)}`,
              );
            for (const text of [want.message ?? []].flat())
              assert.ok(got.message.includes(text), `message should include ${JSON.stringify(text)}:\n${got.message}`);
            assert.ok(!/\{\{\s*\w+\s*\}\}/.test(got.message), `a placeholder was left unfilled:\n${got.message}`);
            if (want.related !== undefined)
              assert.ok(
                got.related.length >= want.related,
                `expected at least ${want.related} related locations, got ${got.related.length}`,
              );
            if (want.severity) assert.equal(got.severity, want.severity);
          });
        });
      }
    });
  }
}
