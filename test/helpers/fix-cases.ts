/**
 * Quick-fix tests as data: each case writes its files, finds the one finding of the rule, applies
 * the fix whose title starts with `fix` (or checks that none is offered), compares the fixed file,
 * and analyses again to see which findings are left. Every case runs typed and untyped; in typed
 * mode the fix must not add type errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, Finding, FixSuggestion } from '../../server/src/model';
import type { ResolvedConfig } from '../../server/src/config/resolved-config';
import { MODES, type Mode, TestProject, applyFix, configWith, findingsOf } from './project';
import { firstLineOf } from './lines';
import { assertCrlfAndTabs, indentWidthOf, withCrlfAndTabs } from './file-conventions';

export interface FixCase {
  name: string;
  /** consumer.ts, the file the finding is in. */
  code: string;
  /** Other files of the case, relative to its folder. */
  files?: Record<string, string>;
  config?: Partial<ResolvedConfig>;
  /** The finding to fix, when the rule reports more than one: a text on its line. */
  on?: string;
  /** The start of the fix's title; absent: the case checks that no fix is offered (or none of `notOffered`). */
  fix?: string;
  /** Title starts that must not be offered (other fixes may be). */
  notOffered?: string[];
  /** The whole of consumer.ts after the fix. */
  expected?: string;
  /** Texts the fixed consumer.ts must contain. */
  contains?: string[];
  /** Rules that must report nothing in consumer.ts after the fix (default: the rule itself). */
  absent?: string[];
  /** Rules that must report in consumer.ts after the fix (what the fix leaves to other rules). */
  present?: string[];
  /** Whether the fix may be applied by fix-all (default false: it changes behaviour). */
  safe?: boolean;
  modes?: readonly Mode[];
}

export function fixTests(rule: string, cases: FixCase[]): void {
  for (const mode of MODES) {
    describe(`${rule} fixes (${mode})`, () => {
      let project: TestProject;
      let counter = 0;
      before(() => {
        project = new TestProject(mode, `${rule}-fixes`);
      });
      after(() => project?.remove());

      for (const c of cases) {
        if (!(c.modes ?? MODES).includes(mode)) continue;
        test(c.name, () => {
          const folder = `case-${counter++}`;
          const written = project.write(
            Object.fromEntries(
              Object.entries({ 'consumer.ts': c.code, ...(c.files ?? {}) }).map(([name, text]) => [
                `${folder}/${name}`,
                text,
              ]),
            ),
          );
          const file = project.path(`${folder}/consumer.ts`);
          const config = configWith(c.config ?? {});
          // Migrations and schemas are read from disk by the fixes; only code goes into the program.
          const code = written.filter((name) => /\.[cm]?[jt]sx?$/.test(name));
          const result = project.analyze(code, config);
          assert.deepEqual(result.problems, []);
          let findings = findingsOf(result, rule, file);
          if (c.on) findings = findings.filter((finding) => finding.location.line === firstLineOf(c.code, c.on!));
          assert.equal(
            findings.length,
            1,
            `one ${rule} finding to fix, got:\n${listFindings(findingsOf(result, rule, file))}`,
          );
          const finding = findings[0];
          if (!c.fix && c.notOffered) {
            for (const title of c.notOffered)
              assert.ok(
                !finding.fixes.some((fix) => fix.title.startsWith(title)),
                `'${title}…' should not be offered; offered: ${finding.fixes.map((fix) => fix.title).join(' | ')}`,
              );
            return;
          }
          if (!c.fix) {
            assert.deepEqual(
              finding.fixes.map((fix) => fix.title),
              [],
              'no fix is offered',
            );
            return;
          }
          const fix = pick(finding, c.fix);
          assert.equal(fix.safe, c.safe ?? false, `safe: ${fix.safe}`);
          const errorsBefore = result.semanticErrors(file);
          applyFix(fix);
          const text = project.read(`${folder}/consumer.ts`);
          if (c.expected !== undefined) assert.equal(text, c.expected);
          for (const wanted of c.contains ?? [])
            assert.ok(text.includes(wanted), `the fixed file should contain ${JSON.stringify(wanted)}:\n${text}`);
          const reanalyzed = project.analyze(code, config);
          assert.deepEqual(reanalyzed.problems, []);
          const left = reanalyzed.findings.filter((item) => item.location.filePath === file);
          for (const absent of c.absent ?? [rule]) {
            assert.deepEqual(
              listFindings(left.filter((item) => item.ruleId === absent)),
              '',
              `no ${absent} after the fix`,
            );
          }
          for (const present of c.present ?? []) {
            assert.ok(
              left.some((item) => item.ruleId === present),
              `${present} reported after the fix, got:\n${listFindings(left)}`,
            );
          }
          if (mode === 'typed') {
            const errorsAfter = reanalyzed.semanticErrors(file);
            assert.ok(
              errorsAfter.length <= errorsBefore.length,
              `the fix adds type errors:\n${errorsAfter.join('\n')}\n---\n${text}`,
            );
          }
          assertNotOfferedAgain(reanalyzed, rule, file, finding, fix);
        });
        if (c.fix) test(`${c.name} (CRLF, tabs)`, () => crlfAndTabsCase(project, `case-${counter++}`, rule, c));
      }
    });
  }
}

/**
 * The case written with CRLF line endings and tab indentation: the fix's edits keep both, the
 * finding goes, and (with an exact expected text) the result is that text written the same way.
 */
function crlfAndTabsCase(project: TestProject, folder: string, rule: string, c: FixCase): void {
  const width = indentWidthOf(c.code);
  const files = { 'consumer.ts': c.code, ...(c.files ?? {}) };
  const written = project.write(
    Object.fromEntries(
      Object.entries(files).map(([name, text]) => [`${folder}/${name}`, withCrlfAndTabs(text, width)]),
    ),
  );
  const file = project.path(`${folder}/consumer.ts`);
  const config = configWith(c.config ?? {});
  const code = written.filter((name) => /\.[cm]?[jt]sx?$/.test(name));
  let findings = findingsOf(project.analyze(code, config), rule, file);
  if (c.on) findings = findings.filter((finding) => finding.location.line === firstLineOf(c.code, c.on!));
  assert.equal(findings.length, 1, 'the finding is the same in the CRLF, tab-indented file');
  const fix = pick(findings[0], c.fix!);
  applyFix(fix);
  const text = project.read(`${folder}/consumer.ts`);
  assertCrlfAndTabs(text, `after '${fix.title}'`);
  if (c.expected !== undefined) assert.equal(text, withCrlfAndTabs(c.expected, width));
  const reanalyzed = project.analyze(code, config);
  for (const absent of c.absent ?? [rule])
    assert.deepEqual(
      listFindings(findingsOf(reanalyzed, absent, file)),
      '',
      `no ${absent} after the fix in the CRLF, tab-indented file`,
    );
}

/** A fix that was applied is not offered again for the same place (a second application would repeat its code). */
function assertNotOfferedAgain(
  result: AnalysisResult,
  rule: string,
  file: string,
  fixed: Finding,
  fix: FixSuggestion,
): void {
  const again = findingsOf(result, rule, file).filter(
    (finding) =>
      finding.location.line === fixed.location.line && finding.fixes.some((offered) => offered.title === fix.title),
  );
  assert.deepEqual(listFindings(again), '', `'${fix.title}' is offered again after it was applied`);
}

function pick(finding: Finding, title: string): FixSuggestion {
  const matches = finding.fixes.filter((fix) => fix.title.startsWith(title));
  assert.equal(
    matches.length,
    1,
    `one fix titled '${title}…', got: ${finding.fixes.map((fix) => fix.title).join(' | ') || 'none'}`,
  );
  return matches[0];
}

function listFindings(findings: Finding[]): string {
  return findings.map((finding) => `${finding.ruleId}:${finding.location.line} ${finding.message}`).join('\n');
}
