/**
 * Model-level tests for a library module: each case is a small project folder whose consumer.ts is
 * analysed typed and untyped; `check` reads the consumers registered in consumer.ts (sorted by
 * registration, then by handler position) and asserts on their settles, paths and guards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult, ConsumerReport, HandlerPath } from '../../server/src/model';
import { lineOf } from './lines';
import { MODES, type Mode, TestProject } from './project';

export interface ModelCase {
  name: string;
  files: Record<string, string> & { 'consumer.ts': string };
  check: (consumers: ConsumerReport[], helpers: { lineOf: (needle: string) => number; mode: Mode }) => void;
  modes?: readonly Mode[];
}

/** A path as a compact string: `E12` effect (awaited) / `E12d` (dropped), `S15:delete` settle, `G9+` guard passed, `G9-` skipped, `C` caught. */
export function pathText(path: HandlerPath): string {
  return path.events
    .map((event) => {
      switch (event.kind) {
        case 'effect':
          return `E${event.effect.location.line}${event.completion === 'dropped' ? 'd' : ''}`;
        case 'settle':
          return `S${event.settle.location.line}:${event.settle.kind}`;
        case 'guard-pass':
          return `G${event.guard.location.line}+`;
        case 'guard-skip':
          return `G${event.guard.location.line}-`;
        default:
          return 'C';
      }
    })
    .join(' ');
}

export function pathsOf(consumer: ConsumerReport): string[] {
  return [...new Set(consumer.paths.map(pathText))].sort();
}

export function modelTests(label: string, cases: readonly ModelCase[]): void {
  for (const mode of MODES) {
    describe(`${label} model (${mode})`, () => {
      let project: TestProject;
      let result: AnalysisResult;
      const folders = new Map<string, string>();

      before(() => {
        project = new TestProject(mode, `${label}-model`);
        const roots: string[] = [];
        cases.forEach((c, index) => {
          if (!(c.modes ?? MODES).includes(mode)) return;
          const folder = `case-${index}`;
          folders.set(c.name, folder);
          project.write(Object.fromEntries(Object.entries(c.files).map(([name, text]) => [`${folder}/${name}`, text])));
          roots.push(project.path(`${folder}/consumer.ts`));
        });
        result = project.analyze(roots);
      });
      after(() => project?.remove());

      for (const c of cases) {
        if (!(c.modes ?? MODES).includes(mode)) continue;
        test(c.name, () => {
          assert.deepEqual(result.problems, []);
          const file = project.path(`${folders.get(c.name)}/consumer.ts`);
          const consumers = result.consumers
            .filter((consumer) => consumer.registration.location.filePath === file)
            .sort(
              (a, b) =>
                a.registration.location.start - b.registration.location.start ||
                a.handlerLocation.start - b.handlerLocation.start,
            );
          c.check(consumers, { lineOf: (needle) => lineOf(c.files['consumer.ts'], needle), mode });
        });
      }
    });
  }
}
