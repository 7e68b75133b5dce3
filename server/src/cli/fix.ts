/**
 * `--fix` and `--fix-dry-run`: apply the safe fixes of a run's findings to the files' texts
 * (docs/model.md, "Safe fixes"). Only fixes marked `safe` are applied, one per finding (its
 * preferred one first); the others stay suggestions for the editor. A fix that overlaps one
 * already applied in this pass waits for the next pass, made on the re-analysed text, as in
 * ESLint.
 */
import type { Finding, FixSuggestion, TextEdit } from '../model';

export interface AppliedFixes {
  /** The new text of each file a fix changed. */
  texts: Map<string, string>;
  /** How many fixes were applied. */
  count: number;
}

/** The safe fix of a finding, if it has one. */
export function safeFixOf(finding: Finding): FixSuggestion | undefined {
  const safe = finding.fixes.filter((fix) => fix.safe);
  return safe.find((fix) => fix.preferred) ?? safe[0];
}

function overlaps(a: TextEdit, b: TextEdit): boolean {
  return a.filePath === b.filePath && ((a.start < b.end && b.start < a.end) || a.start === b.start);
}

/** Applies the safe fixes of `findings` to the texts `read` gives; a fix that overlaps an applied one is left. */
export function applySafeFixes(findings: readonly Finding[], read: (file: string) => string | undefined): AppliedFixes {
  const accepted: TextEdit[] = [];
  let count = 0;
  for (const finding of findings) {
    const fix = safeFixOf(finding);
    if (!fix || !fix.edits.length) continue;
    if (fix.edits.some((edit) => read(edit.filePath) === undefined)) continue;
    if (fix.edits.some((edit) => accepted.some((other) => overlaps(edit, other)))) continue;
    accepted.push(...fix.edits);
    count++;
  }
  const texts = new Map<string, string>();
  const byFile = new Map<string, TextEdit[]>();
  for (const edit of accepted) byFile.set(edit.filePath, [...(byFile.get(edit.filePath) ?? []), edit]);
  for (const [file, edits] of byFile) {
    let text = read(file)!;
    for (const edit of [...edits].sort((a, b) => b.start - a.start || b.end - a.end))
      text = text.slice(0, edit.start) + edit.newText + text.slice(edit.end);
    texts.set(file, text);
  }
  return { texts, count };
}
