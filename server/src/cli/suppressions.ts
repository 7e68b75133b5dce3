/**
 * The suppressions file, for adopting delivery-lint on code that already has findings
 * (`--suppress-all`, `--suppress-rule`, `--prune-suppressions`): ESLint's bulk suppressions, in
 * the same file shape and with the same semantics (docs/model.md, "The suppressions file").
 *
 *   { "src/orders.consumer.ts": { "missing-event-id-check": { "count": 1 } } }
 *
 * Keys are paths relative to the working folder, with `/`. A file's findings of a rule are all
 * suppressed while there are no more of them than the count; when there are more, all of them are
 * reported (a new one cannot be told from the old ones). Counts of findings that are gone make the
 * run fail until `--prune-suppressions` lowers them, so the file only ever shrinks.
 *
 * One difference from ESLint: findings of every severity are suppressed, not only errors, because
 * the delivery rules that matter most on adoption (the dedup rules) are warnings by default and
 * warnings fail a run with `--max-warnings`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Finding } from '../model';
import { UsageError } from './args';

export const SUPPRESSIONS_FILE_NAME = 'delivery-lint-suppressions.json';

/** File (relative, `/`) → rule id → how many findings are suppressed. */
export type SuppressionCounts = Record<string, Record<string, { count: number }>>;

/** Findings that are not about one rule (the suppression comments' own checks) are never suppressed. */
export type Suppressible = (finding: Finding) => boolean;

export class SuppressionsFile {
  constructor(
    readonly location: string,
    private readonly cwd: string,
  ) {}

  /** The counts in the file; none when it does not exist. A file that is not such JSON is a usage error. */
  load(): SuppressionCounts {
    let text: string;
    try {
      text = fs.readFileSync(this.location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new UsageError(
        `cannot read the suppressions file ${this.label()}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new UsageError(`the suppressions file ${this.label()} is not valid JSON`);
    }
    if (!isCounts(parsed))
      throw new UsageError(
        `the suppressions file ${this.label()} must map files to rule ids to { "count": N } (as --suppress-all writes it)`,
      );
    return parsed;
  }

  save(counts: SuppressionCounts): void {
    const sorted: SuppressionCounts = {};
    for (const file of Object.keys(counts).sort()) {
      const rules = Object.keys(counts[file]).sort();
      if (!rules.length) continue;
      sorted[file] = Object.fromEntries(rules.map((rule) => [rule, { count: counts[file][rule].count }]));
    }
    try {
      fs.mkdirSync(path.dirname(this.location), { recursive: true });
      fs.writeFileSync(this.location, JSON.stringify(sorted, null, 2) + '\n');
    } catch (error) {
      throw new UsageError(
        `cannot write the suppressions file ${this.label()}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }

  /** A finding's file as a key of the file. */
  keyOf(filePath: string): string {
    return path.relative(this.cwd, filePath).split(path.sep).join('/');
  }

  private label(): string {
    return path.relative(this.cwd, this.location) || this.location;
  }
}

function isCounts(value: unknown): value is SuppressionCounts {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  return Object.values(value as Record<string, unknown>).every(
    (rules) =>
      !!rules &&
      typeof rules === 'object' &&
      !Array.isArray(rules) &&
      Object.values(rules as Record<string, unknown>).every(
        (entry) =>
          !!entry &&
          typeof entry === 'object' &&
          Number.isInteger((entry as { count?: unknown }).count) &&
          (entry as { count: number }).count > 0,
      ),
  );
}

/** How many suppressible findings each file has per rule. */
export function countFindings(
  findings: readonly Finding[],
  keyOf: (file: string) => string,
  suppressible: Suppressible,
): SuppressionCounts {
  const counts: SuppressionCounts = {};
  for (const finding of findings) {
    if (!suppressible(finding)) continue;
    const file = (counts[keyOf(finding.location.filePath)] ??= {});
    (file[finding.ruleId] ??= { count: 0 }).count++;
  }
  return counts;
}

export interface Applied {
  /** The findings left to report. */
  findings: Finding[];
  /** How many were suppressed. */
  suppressedCount: number;
  /** Counts of findings that are gone, in the files linted: what --prune-suppressions removes. */
  unused: SuppressionCounts;
}

/**
 * Suppresses the findings the counts cover: a file's findings of a rule when there are no more of
 * them than its count. `linted` are the files of the run (keys): counts of other files are left
 * alone, unless the file no longer exists (`gone`).
 */
export function applySuppressions(
  findings: readonly Finding[],
  counts: SuppressionCounts,
  linted: ReadonlySet<string>,
  keyOf: (file: string) => string,
  suppressible: Suppressible,
  gone: (key: string) => boolean = () => false,
): Applied {
  const actual = countFindings(findings, keyOf, suppressible);
  const kept: Finding[] = [];
  let suppressedCount = 0;
  for (const finding of findings) {
    const key = keyOf(finding.location.filePath);
    const allowed = counts[key]?.[finding.ruleId]?.count;
    if (suppressible(finding) && allowed !== undefined && actual[key][finding.ruleId].count <= allowed) {
      suppressedCount++;
      continue;
    }
    kept.push(finding);
  }
  const unused: SuppressionCounts = {};
  for (const [file, rules] of Object.entries(counts)) {
    if (!linted.has(file) && !gone(file)) continue;
    for (const [rule, { count }] of Object.entries(rules)) {
      const found = actual[file]?.[rule]?.count ?? 0;
      if (found < count) (unused[file] ??= {})[rule] = { count: count - found };
    }
  }
  return { findings: kept, suppressedCount, unused };
}

/** `--suppress-all` / `--suppress-rule`: the counts set to the findings of the rules given (all when none). */
export function suppress(
  counts: SuppressionCounts,
  findings: readonly Finding[],
  rules: readonly string[] | undefined,
  keyOf: (file: string) => string,
  suppressible: Suppressible,
): SuppressionCounts {
  const updated = structuredClone(counts);
  for (const [file, byRule] of Object.entries(countFindings(findings, keyOf, suppressible))) {
    for (const [rule, entry] of Object.entries(byRule)) {
      if (rules && !rules.includes(rule)) continue;
      (updated[file] ??= {})[rule] = { count: entry.count };
    }
  }
  return updated;
}

/** `--prune-suppressions`: the counts lowered by what is gone, and emptied entries removed. */
export function prune(counts: SuppressionCounts, unused: SuppressionCounts): SuppressionCounts {
  const pruned = structuredClone(counts);
  for (const [file, rules] of Object.entries(unused)) {
    for (const [rule, { count }] of Object.entries(rules)) {
      const entry = pruned[file]?.[rule];
      if (!entry) continue;
      entry.count -= count;
      if (entry.count <= 0) delete pruned[file][rule];
    }
    if (pruned[file] && !Object.keys(pruned[file]).length) delete pruned[file];
  }
  return pruned;
}

export function countEntries(counts: SuppressionCounts): number {
  return Object.values(counts).reduce(
    (total, rules) => total + Object.values(rules).reduce((sum, entry) => sum + entry.count, 0),
    0,
  );
}
