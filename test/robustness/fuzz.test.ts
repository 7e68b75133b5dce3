/**
 * Fuzzed variants of the examples: each broker file of examples/ is mutated the ways half-typed
 * code is (cut short, a range deleted, an unbalanced bracket or a stray quote typed, a line doubled,
 * two lines swapped), and the analysis must take every variant: no exception, every problem naming
 * its file, every finding and fix edit inside the text it was computed on, and every offered fix
 * applicable without the next analysis failing. The randomness is seeded, so a failure repeats.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AnalysisResult } from '../../server/src/model';
import { mentionsBroker } from '../../server/src/pipeline/prefilter';
import { TestProject, applyFix } from '../helpers/project';
import { HALF_TYPED, seeded } from '../helpers/seeded';

const EXAMPLES = path.resolve(__dirname, '../../examples');
const VARIANTS_PER_FILE = 8;

const TYPED = [...HALF_TYPED, 'channel.ack(', 'return'];

type Mutation = (text: string, random: () => number) => string;

const MUTATIONS: Record<string, Mutation> = {
  'cut short': (text, random) => text.slice(0, Math.floor(random() * text.length)),
  'a range deleted': (text, random) => {
    const start = Math.floor(random() * text.length);
    return text.slice(0, start) + text.slice(start + 1 + Math.floor(random() * 40));
  },
  'half-typed code inserted': (text, random) => {
    const at = Math.floor(random() * text.length);
    return text.slice(0, at) + TYPED[Math.floor(random() * TYPED.length)] + text.slice(at);
  },
  'a line doubled': (text, random) => {
    const lines = text.split('\n');
    const index = Math.floor(random() * lines.length);
    lines.splice(index, 0, lines[index]);
    return lines.join('\n');
  },
  'two lines swapped': (text, random) => {
    const lines = text.split('\n');
    const a = Math.floor(random() * lines.length);
    const b = Math.floor(random() * lines.length);
    [lines[a], lines[b]] = [lines[b], lines[a]];
    return lines.join('\n');
  },
};

function filesUnder(folder: string): string[] {
  return fs
    .readdirSync(folder, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** What must hold of any analysis, whatever the text. */
function assertWellFormed(result: AnalysisResult, texts: (filePath: string) => string | undefined): void {
  for (const problem of result.problems) {
    assert.ok(problem.filePath, `a problem without a file: ${problem.message}`);
    assert.ok(problem.message, `a problem without a message in ${problem.filePath}`);
  }
  for (const finding of result.findings) {
    const text = texts(finding.location.filePath);
    assert.ok(text !== undefined, `a finding in a file that was not analysed: ${finding.location.filePath}`);
    const { start, end } = finding.location;
    assert.ok(
      0 <= start && start <= end && end <= text.length,
      `${finding.ruleId} at ${start}-${end} of ${text.length}`,
    );
    for (const fix of finding.fixes)
      for (const edit of fix.edits) {
        const edited = texts(edit.filePath);
        if (edited === undefined) continue; // a migration or schema file: read from disk by its fix
        assert.ok(0 <= edit.start && edit.start <= edit.end && edit.end <= edited.length, `${fix.title}: edit bounds`);
      }
  }
}

describe('fuzzed variants of the examples', () => {
  let project: TestProject;
  const originals = new Map<string, string>();

  before(() => {
    project = new TestProject('untyped', 'fuzz');
    for (const file of filesUnder(EXAMPLES)) {
      const relative = path.relative(EXAMPLES, file);
      const text = fs.readFileSync(file, 'utf8');
      project.write({ [relative]: text });
      if (/\.ts$/.test(file) && mentionsBroker(text)) originals.set(project.path(relative), text);
    }
  });
  after(() => project?.remove());

  const brokerFiles = filesUnder(path.join(EXAMPLES, 'src'))
    .filter((file) => /\.ts$/.test(file) && mentionsBroker(fs.readFileSync(file, 'utf8')))
    .map((file) => path.relative(EXAMPLES, file))
    .sort();

  brokerFiles.forEach((relative, fileIndex) => {
    test(relative, () => {
      const file = project.path(relative);
      const original = originals.get(file)!;
      const random = seeded(fileIndex + 1);
      const names = Object.keys(MUTATIONS);
      try {
        for (let variant = 0; variant < VARIANTS_PER_FILE; variant++) {
          const name = names[variant % names.length];
          const mutated = MUTATIONS[name](original, random);
          fs.writeFileSync(file, mutated);
          const what = `${relative}, variant ${variant} (${name})`;
          let result: AnalysisResult;
          try {
            result = project.analyze([file]);
          } catch (error) {
            assert.fail(`${what}: the analysis threw ${(error as Error).stack}`);
          }
          assertWellFormed(result, (filePath) =>
            filePath === file ? mutated : fs.existsSync(filePath) ? fs.readFileSync(filePath, 'utf8') : undefined,
          );
          // A fix offered on the variant applies, and the analysis takes the fixed text too.
          const fix = result.findings
            .flatMap((finding) => finding.fixes)
            .find((candidate) => candidate.edits.length && candidate.edits.every((edit) => edit.filePath === file));
          if (!fix) continue;
          applyFix(fix);
          assert.doesNotThrow(() => project.analyze([file]), `${what}: after '${fix.title}'`);
        }
      } finally {
        fs.writeFileSync(file, original);
      }
    });
  });
});
