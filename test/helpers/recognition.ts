/**
 * Consumer recognition tests for library modules (docs/model.md, "Per-library behaviour"): each
 * case is a small project folder whose consumer file (consumer.ts unless it names another) is
 * analysed, and the consumers registered there are compared with the expected ones, typed (the
 * library's types in the repository's node_modules, when installed) and untyped (no node_modules).
 * The one harness for recognition: test/analysis/libraries.test.ts and every suite of
 * test/libraries/ use it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AckMode, AnalysisResult, ConsumerReport } from '../../server/src/model';
import { MODES, type Mode, TestProject } from './project';
import { lineOf } from './lines';

export interface ExpectedConsumer {
  library: string;
  form: string;
  ackMode: AckMode;
  /** Queue/topic/subscription; `null` means statically unknown (undefined in the report). */
  source: string | null;
  handlerName?: string;
  /** `null` means the report must not offer one. */
  identityExpression?: string | null;
  /** A text on the line where the handler's head is (checks which function was resolved). */
  handlerAt?: { file?: string; text: string };
  /** A text on the line of the registration (the call, `new`, or decorator). */
  registrationAt?: string;
  /**
   * A text on the line of the option that decides the ack mode, in the consumer file or in the file
   * named (a NestJS bootstrap in main.ts); `null`: no such location.
   */
  ackModeAt?: string | { file: string; text: string } | null;
  /** A text the report's `incomplete` reason must contain; `null`: the report must be complete. */
  incomplete?: string | null;
}

export interface RecognitionCase {
  name: string;
  /** The consumer file is analysed; other files are reachable through its imports, or are roots too. */
  files: Record<string, string>;
  /** The file whose consumers are checked (default consumer.ts). */
  consumer?: string;
  /** The files analysed as roots, as the CLI's prefilter would pick them (default: the consumer file). */
  roots?: string[];
  expect: ExpectedConsumer[];
  modes?: readonly Mode[];
  /** Further assertions on each consumer found, with the project's path to a file of the case. */
  check?: (consumer: ConsumerReport, pathOf: (file: string) => string) => void;
}

function describeConsumer(consumer: ConsumerReport): string {
  const { library, form, ackMode, source } = consumer.registration;
  return `${library}/${form} ${ackMode} source=${source} handler=${consumer.handlerName} identity=${consumer.identityExpression} incomplete=${consumer.incomplete ?? '-'}`;
}

function consumerFile(c: RecognitionCase): string {
  return c.consumer ?? 'consumer.ts';
}

export function recognitionTests(label: string, cases: readonly RecognitionCase[]): void {
  const names = new Set<string>();
  for (const c of cases) {
    assert.ok(!names.has(c.name), `duplicate case name: ${c.name}`);
    names.add(c.name);
  }
  for (const mode of MODES) {
    describe(`${label} consumer recognition (${mode})`, () => {
      let project: TestProject;
      let result: AnalysisResult;
      const folders = new Map<string, string>();

      before(() => {
        project = new TestProject(mode, label);
        const roots: string[] = [];
        cases.forEach((c, index) => {
          if (!(c.modes ?? MODES).includes(mode)) return;
          const folder = `case-${index}`;
          folders.set(c.name, folder);
          project.write(Object.fromEntries(Object.entries(c.files).map(([name, text]) => [`${folder}/${name}`, text])));
          roots.push(...(c.roots ?? [consumerFile(c)]).map((root) => project.path(`${folder}/${root}`)));
        });
        result = project.analyze(roots);
      });
      after(() => project?.remove());

      for (const c of cases) {
        if (!(c.modes ?? MODES).includes(mode)) continue;
        test(c.name, () => {
          assert.deepEqual(result.problems, []);
          const folder = folders.get(c.name)!;
          const file = project.path(`${folder}/${consumerFile(c)}`);
          const found = result.consumers
            .filter((consumer) => consumer.registration.location.filePath === file)
            .sort((a, b) => a.registration.location.start - b.registration.location.start);
          assert.equal(
            found.length,
            c.expect.length,
            `expected ${c.expect.length} consumer(s), found:\n${found.map(describeConsumer).join('\n')}`,
          );
          c.expect.forEach((want, index) => {
            const got = found[index];
            const what = describeConsumer(got);
            assert.equal(got.registration.library, want.library, what);
            assert.equal(got.registration.form, want.form, what);
            assert.equal(got.registration.ackMode, want.ackMode, what);
            assert.equal(got.registration.source, want.source ?? undefined, what);
            if (want.handlerName !== undefined) assert.equal(got.handlerName, want.handlerName, what);
            if (want.identityExpression !== undefined)
              assert.equal(got.identityExpression, want.identityExpression ?? undefined, what);
            if (want.handlerAt) {
              const handlerFile = want.handlerAt.file ?? consumerFile(c);
              assert.equal(
                got.handlerLocation.filePath,
                project.path(`${folder}/${handlerFile}`),
                `handler resolved into ${got.handlerLocation.filePath}`,
              );
              assert.equal(
                got.handlerLocation.line,
                lineOf(c.files[handlerFile], want.handlerAt.text),
                `handler head line (${what})`,
              );
            }
            if (want.registrationAt)
              assert.equal(
                got.registration.location.line,
                lineOf(c.files[consumerFile(c)], want.registrationAt),
                `registration line (${what})`,
              );
            if (want.ackModeAt === null)
              assert.equal(got.registration.ackModeLocation, undefined, `no ack-mode location expected (${what})`);
            else if (want.ackModeAt) {
              const at =
                typeof want.ackModeAt === 'string' ? { file: consumerFile(c), text: want.ackModeAt } : want.ackModeAt;
              const location = got.registration.ackModeLocation;
              assert.ok(location, `the ack-mode option should be located (${what})`);
              assert.equal(location.filePath, project.path(`${folder}/${at.file}`), what);
              assert.equal(location.line, lineOf(c.files[at.file], at.text), what);
            }
            if (want.incomplete === null) assert.equal(got.incomplete, undefined, what);
            else if (want.incomplete !== undefined)
              assert.ok(
                got.incomplete?.includes(want.incomplete),
                `incomplete should mention ${JSON.stringify(want.incomplete)}: ${what}`,
              );
            assert.equal(got.registration.location.filePath, file);
            assert.equal(
              got.declaredSemantics,
              want.ackMode === 'auto-before-handler' ? 'at-most-once' : 'at-least-once',
            );
            c.check?.(got, (relative) => project.path(`${folder}/${relative}`));
          });
        });
      }
    });
  }
}
