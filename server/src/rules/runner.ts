/** Runs every enabled rule on a consumer and turns reports into findings with resolved severities. */
import type { ts } from 'ts-morph';
import type { ConsumerReport, Finding, RelatedLocation } from '../model';
import type { ResolvedConfig } from '../config/types';
import type { SourceReader } from '../analysis/source/reader';
import { allRules } from '.';

export function runRules(consumer: ConsumerReport, config: ResolvedConfig, source: SourceReader): Finding[] {
  const findings: Finding[] = [];
  for (const rule of allRules) {
    const severity = config.rules[rule.meta.id] ?? rule.meta.defaultSeverity;
    if (severity === 'off') continue;
    rule.check(consumer, {
      config,
      source,
      report: (report) =>
        findings.push({
          ruleId: rule.meta.id,
          severity,
          message: report.message,
          location: report.location,
          related: uniqueRelated(report.related),
          consumerId: consumer.id,
          fixes: report.fixes ?? [],
        }),
    });
  }
  return findings;
}

/** Runs the file-level rules (those with `checkFile`) on one linted file. */
export function runFileRules(sourceFile: ts.SourceFile, checker: ts.TypeChecker, config: ResolvedConfig, source: SourceReader): Finding[] {
  const findings: Finding[] = [];
  for (const rule of allRules) {
    if (!rule.checkFile) continue;
    const severity = config.rules[rule.meta.id] ?? rule.meta.defaultSeverity;
    if (severity === 'off') continue;
    rule.checkFile({
      config,
      source,
      checker,
      sourceFile,
      report: (report) =>
        findings.push({ ruleId: rule.meta.id, severity, message: report.message, location: report.location, related: uniqueRelated(report.related), consumerId: '', fixes: report.fixes ?? [] }),
    });
  }
  return findings;
}

/** The same call in a chain shared by several effects is listed once. */
function uniqueRelated(related: RelatedLocation[]): RelatedLocation[] {
  const seen = new Set<string>();
  return related.filter((entry) => {
    const key = `${entry.location.filePath}:${entry.location.start}:${entry.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
