/**
 * Quick-fix scenarios for one rule, in both modes: analyse, find the rule's finding on a line, pick
 * the fix by title, apply it, compare the file with the exact expected text, and analyse again: the
 * finding is gone, no finding of any rule is new, and (typed) the file has no new compile errors.
 * `noFix` scenarios check that a finding offers no fix (or not the one named) where it is not mechanical.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, Finding, FixSuggestion } from '../../server/src/model';
import { MODES, type Mode, TestProject, applyFix, findingsOf } from './project';
import { assertCrlfAndTabs, indentWidthOf, withCrlfAndTabs } from './file-conventions';
import { lineOf } from './lines';

export interface FixScenario {
  name: string;
  /** Files of the project; the fix edits `file` (consumer.ts unless said). */
  files: Record<string, string>;
  file?: string;
  /** The line of the finding, given as the text of that line (a unique substring). */
  at: string;
  title: string;
  /** The file after the fix, or a function of the file before it. */
  expected: string | ((before: string) => string);
  /** Rule ids whose findings may change with the fix (the fix's purpose), besides the rule's own. */
  mayChange?: string[];
  /** The fix is safe: `--fix` applies it (docs/model.md, "Safe fixes"). Default false. */
  safe?: boolean;
  /**
   * Compile errors that come from the test program, not from the fix: test programs load no
   * automatic @types, so a new `import … from 'node:crypto'` does not resolve there.
   */
  allowedCompileErrors?: RegExp[];
}

export interface NoFixScenario {
  name: string;
  files: Record<string, string>;
  file?: string;
  at: string;
  /** Titles that must not be offered; empty: no fix at all. */
  notOffered?: string[];
}

function describeFindings(findings: Finding[]): string {
  return (
    findings
      .map(
        (finding) =>
          `${finding.ruleId} ${finding.location.filePath.split('/').pop()}:${finding.location.line} ${finding.message}`,
      )
      .join('\n') || '(none)'
  );
}

/** A finding's identity across an edit that shifts lines: rule, file and message (line numbers masked). */
function findingKey(finding: Finding): string {
  return `${finding.ruleId}|${finding.location.filePath}|${finding.message.replace(/\bline \d+/g, 'line N')}`;
}

function newEntries(beforeEntries: string[], afterEntries: string[]): string[] {
  const remaining = [...beforeEntries];
  return afterEntries.filter((entry) => {
    const index = remaining.indexOf(entry);
    if (index < 0) return true;
    remaining.splice(index, 1);
    return false;
  });
}

function analyzeAll(project: TestProject, files: string[]): ReturnType<TestProject['analyze']> {
  const result = project.analyze(files.filter((file) => /\.[cm]?[jt]sx?$/.test(file)));
  assert.deepEqual(result.problems, [], 'the analysis reported problems');
  return result;
}

function findingAt(result: AnalysisResult, rule: string, file: string, line: number): Finding | undefined {
  return findingsOf(result, rule, file).find((finding) => finding.location.line === line);
}

/** The scenario written with CRLF line endings and tab indentation: the fix keeps both and does its work. */
function crlfAndTabsScenario(mode: Mode, rule: string, scenario: FixScenario): void {
  const relative = scenario.file ?? 'consumer.ts';
  const width = indentWidthOf(scenario.files[relative]);
  const project = new TestProject(mode, `${rule}-fix-crlf`);
  try {
    const files = project.write(
      Object.fromEntries(Object.entries(scenario.files).map(([name, text]) => [name, withCrlfAndTabs(text, width)])),
    );
    const target = project.path(relative);
    const original = scenario.files[relative];
    const finding = findingAt(analyzeAll(project, files), rule, target, lineOf(original, scenario.at));
    const fix = finding?.fixes.find((candidate) => candidate.title === scenario.title);
    assert.ok(fix, `the CRLF, tab-indented copy offers ${JSON.stringify(scenario.title)} too`);
    applyFix(fix);
    const text = project.read(relative);
    assertCrlfAndTabs(text, `after '${fix.title}'`);
    const expected = typeof scenario.expected === 'function' ? scenario.expected(original) : scenario.expected;
    assert.equal(text, withCrlfAndTabs(expected, width));
    assert.deepEqual(findingsOf(analyzeAll(project, files), rule, target), [], 'the finding is gone');
  } finally {
    project.remove();
  }
}

export function fixScenarios(rule: string, scenarios: FixScenario[], noFix: NoFixScenario[] = []): void {
  for (const mode of MODES) {
    describe(`${rule} fixes (${mode})`, () => {
      for (const scenario of scenarios) {
        describe(scenario.name, () => {
          let project: TestProject;
          let target: string;
          let original: string;
          let beforeResult: ReturnType<TestProject['analyze']>;
          let afterResult: ReturnType<TestProject['analyze']> | undefined;
          let finding: Finding | undefined;
          let fix: FixSuggestion | undefined;
          let errorsBefore: string[] = [];
          const relative = scenario.file ?? 'consumer.ts';

          before(() => {
            project = new TestProject(mode, `${rule}-fix`);
            const files = project.write(scenario.files);
            target = project.path(relative);
            original = scenario.files[relative];
            beforeResult = analyzeAll(project, files);
            errorsBefore = beforeResult.semanticErrors(target);
            finding = findingAt(beforeResult, rule, target, lineOf(original, scenario.at));
            fix = finding?.fixes.find((candidate) => candidate.title === scenario.title);
            if (fix) {
              applyFix(fix);
              afterResult = analyzeAll(project, files);
            }
          });

          after(() => project?.remove());

          test(`the finding offers the fix, ${scenario.safe ? 'as a safe fix' : 'as a suggestion'}`, () => {
            assert.ok(
              finding,
              `no ${rule} finding on the line of ${JSON.stringify(scenario.at)}:\n${describeFindings(beforeResult.findings)}`,
            );
            assert.ok(
              fix,
              `no fix titled ${JSON.stringify(scenario.title)}; offered: ${JSON.stringify(finding.fixes.map((candidate) => candidate.title))}`,
            );
            assert.equal(
              fix.safe,
              scenario.safe ?? false,
              scenario.safe
                ? 'a safe fix (--fix applies it)'
                : 'the fix changes behaviour, so it must not be marked safe',
            );
            assert.ok(
              fix.edits.every((edit) => edit.filePath === target),
              `the fix edits only ${relative}`,
            );
          });

          test('the fixed file has exactly the expected text', () => {
            assert.ok(fix, 'no fix to apply');
            const expected = typeof scenario.expected === 'function' ? scenario.expected(original) : scenario.expected;
            assert.notEqual(expected, original, 'the expected text must differ from the original');
            assert.equal(project.read(relative), expected);
          });

          test(`after the fix the ${rule} finding is gone and no finding of another rule is new`, () => {
            assert.ok(afterResult, 'no fix was applied');
            assert.deepEqual(
              findingsOf(afterResult, rule, target),
              [],
              `still reported:\n${describeFindings(findingsOf(afterResult, rule, target))}`,
            );
            const allowed = new Set(scenario.mayChange ?? []);
            const keys = (result: AnalysisResult) =>
              result.findings.filter((entry) => !allowed.has(entry.ruleId)).map(findingKey);
            const added = newEntries(keys(beforeResult), keys(afterResult));
            assert.deepEqual(added, [], `new findings after the fix:\n${added.join('\n')}`);
          });

          test('a fix that was applied is not offered again for the same place', () => {
            assert.ok(afterResult && finding && fix, 'no fix was applied');
            const again = findingsOf(afterResult, rule, target).filter(
              (entry) =>
                entry.location.line === finding!.location.line &&
                entry.fixes.some((offered) => offered.title === fix!.title),
            );
            assert.deepEqual(again, []);
          });

          test('in a CRLF, tab-indented copy the fix keeps both', () => {
            crlfAndTabsScenario(mode, rule, scenario);
          });

          if (mode === 'typed') {
            test('the fix adds no compile errors (typed)', () => {
              assert.ok(afterResult, 'no fix was applied');
              const added = newEntries(errorsBefore, afterResult.semanticErrors(target)).filter(
                (error) => !(scenario.allowedCompileErrors ?? []).some((pattern) => pattern.test(error)),
              );
              assert.deepEqual(added, [], `new compile errors:\n${added.join('\n')}`);
            });
          }
        });
      }

      if (!noFix.length) return;
      describe(`${rule}: fixes not offered where they are not mechanical (${mode})`, () => {
        let project: TestProject;
        let result: ReturnType<TestProject['analyze']>;
        const targets = new Map<string, string>();

        before(() => {
          project = new TestProject(mode, `${rule}-nofix`);
          const all: string[] = [];
          noFix.forEach((scenario, index) => {
            const folder = `case-${index}`;
            all.push(
              ...project.write(
                Object.fromEntries(Object.entries(scenario.files).map(([name, text]) => [`${folder}/${name}`, text])),
              ),
            );
            targets.set(scenario.name, project.path(`${folder}/${scenario.file ?? 'consumer.ts'}`));
          });
          result = analyzeAll(project, all);
        });

        after(() => project?.remove());

        for (const scenario of noFix) {
          test(scenario.name, () => {
            const file = targets.get(scenario.name)!;
            const line = lineOf(scenario.files[scenario.file ?? 'consumer.ts'], scenario.at);
            const finding = findingAt(result, rule, file, line);
            assert.ok(
              finding,
              `no ${rule} finding on line ${line}:\n${describeFindings(findingsOf(result, rule, file))}`,
            );
            const titles = finding.fixes.map((candidate) => candidate.title);
            if (scenario.notOffered?.length)
              for (const title of scenario.notOffered)
                assert.ok(!titles.includes(title), `${title} should not be offered`);
            else assert.deepEqual(titles, [], 'no fix is mechanical here');
          });
        }
      });
    });
  }
}
