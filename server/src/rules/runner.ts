/**
 * Runs every enabled rule on a consumer (or, for file-level rules, on a file) and turns its reports
 * into findings: the severity resolved from the config, the message rendered from the rule's
 * template, related locations deduplicated.
 */
import type { ts } from 'ts-morph';
import type { ConsumerReport, Finding, FindingSeverity, FixSuggestion, RelatedLocation } from '../model';
import type { ResolvedConfig } from '../config/resolved-config';
import type { SourceReader } from '../analysis/source/reader';
import { allRules } from '.';
import { renderMessage, type Rule, type RuleReport } from './rule';

export function runRules(consumer: ConsumerReport, config: ResolvedConfig, source: SourceReader): Finding[] {
  const findings: Finding[] = [];
  for (const rule of allRules) {
    const severity = severityOf(rule, config);
    if (!severity) continue;
    rule.check(consumer, {
      config,
      source,
      report: (report) => findings.push(toFinding(rule, report, severity, consumer.id, source)),
    });
  }
  return findings;
}

/** Runs the file-level rules (those with `checkFile`) on one linted file. */
export function runFileRules(
  sourceFile: ts.SourceFile,
  checker: ts.TypeChecker,
  config: ResolvedConfig,
  source: SourceReader,
): Finding[] {
  const findings: Finding[] = [];
  for (const rule of allRules) {
    const severity = severityOf(rule, config);
    if (!rule.checkFile || !severity) continue;
    rule.checkFile({
      config,
      source,
      checker,
      sourceFile,
      report: (report) => findings.push(toFinding(rule, report, severity, '', source)),
    });
  }
  return findings;
}

/** The rule's severity in this config, or undefined when it is off. */
function severityOf(rule: Rule, config: ResolvedConfig): FindingSeverity | undefined {
  const severity = config.rules[rule.meta.id] ?? rule.meta.defaultSeverity;
  return severity === 'off' ? undefined : severity;
}

function toFinding(
  rule: Rule,
  report: RuleReport,
  severity: FindingSeverity,
  consumerId: string,
  source: SourceReader,
): Finding {
  const template = rule.meta.messages[report.messageId];
  if (template === undefined)
    throw new Error(`${rule.meta.id} reported an unknown message id ${JSON.stringify(report.messageId)}`);
  const data = report.data
    ? Object.fromEntries(Object.entries(report.data).map(([name, value]) => [name, String(value)]))
    : undefined;
  return {
    ruleId: rule.meta.id,
    messageId: report.messageId,
    ...(data ? { data } : {}),
    severity,
    message: renderMessage(template, data),
    location: report.location,
    related: uniqueRelated(report.related),
    consumerId,
    fixes: (report.fixes ?? []).map((fix) => withFileLineEndings(fix, source)),
  };
}

/**
 * A fix whose inserted lines end as the edited file's do: the fixes write `\n`, a CRLF file gets
 * `\r\n` (docs/model.md, "Edits that respect the file"). One place, so no fix can forget it.
 */
function withFileLineEndings(fix: FixSuggestion, source: SourceReader): FixSuggestion {
  const crlf = new Map<string, boolean>();
  const isCrlf = (filePath: string): boolean => {
    let answer = crlf.get(filePath);
    if (answer === undefined) {
      answer = /\r\n/.test(source.sourceText(filePath) ?? '');
      crlf.set(filePath, answer);
    }
    return answer;
  };
  if (!fix.edits.some((edit) => edit.newText.includes('\n') && isCrlf(edit.filePath))) return fix;
  return {
    ...fix,
    edits: fix.edits.map((edit) =>
      isCrlf(edit.filePath) ? { ...edit, newText: edit.newText.replace(/(?<!\r)\n/g, '\r\n') } : edit,
    ),
  };
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
