import * as path from 'node:path';
import type { Finding, SourceLocation } from '../../model';

/** `file` relative to `cwd` with `/` separators (absolute when on another drive). */
export function relativePath(cwd: string, file: string): string {
  const absolute = path.resolve(cwd, file);
  const relative = path.relative(cwd, absolute);
  if (relative === '') return '.';
  if (path.isAbsolute(relative)) return absolute.split(path.sep).join('/');
  return relative.split(path.sep).join('/');
}

export function absolutePath(cwd: string, file: string): string {
  return path.resolve(cwd, file);
}

export function compareLocations(a: SourceLocation, b: SourceLocation): number {
  return a.line - b.line || a.column - b.column || a.endLine - b.endLine || a.endColumn - b.endColumn;
}

/** Findings in a stable order: by file, then position, then rule id and message. */
export function sortFindings(findings: readonly Finding[], cwd: string): Finding[] {
  return [...findings].sort(
    (a, b) =>
      compareStrings(absolutePath(cwd, a.location.filePath), absolutePath(cwd, b.location.filePath)) ||
      compareLocations(a.location, b.location) ||
      compareStrings(a.ruleId, b.ruleId) ||
      compareStrings(a.message, b.message),
  );
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Findings grouped by absolute file path, files in sorted order. */
export function groupByFile(findings: readonly Finding[], cwd: string): Map<string, Finding[]> {
  const groups = new Map<string, Finding[]>();
  for (const finding of sortFindings(findings, cwd)) {
    const file = absolutePath(cwd, finding.location.filePath);
    let group = groups.get(file);
    if (!group) groups.set(file, (group = []));
    group.push(finding);
  }
  return groups;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** ANSI colours as plain functions (no `this`), so they can be picked and passed around. */
export interface Colors {
  red: (text: string) => string;
  yellow: (text: string) => string;
  blue: (text: string) => string;
  green: (text: string) => string;
  dim: (text: string) => string;
  bold: (text: string) => string;
  underline: (text: string) => string;
}

const sgr = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export function colors(enabled: boolean): Colors {
  if (!enabled) {
    const same = (text: string) => text;
    return { red: same, yellow: same, blue: same, green: same, dim: same, bold: same, underline: same };
  }
  return {
    red: sgr(31, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    green: sgr(32, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
    underline: sgr(4, 24),
  };
}
