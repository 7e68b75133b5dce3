/**
 * Checks of the suppression comments themselves (docs/model.md, "Suppressions and declarations"),
 * run on a lint run's results:
 *
 * - a rule id the catalogue does not know (a typo, a renamed rule) is reported as a warning: the
 *   comment suppresses nothing for it;
 * - with `unusedDirectives` set, a `delivery-lint-disable…` comment that suppressed no finding is
 *   reported (ESLint's `--report-unused-disable-directives`). A comment is not reported for a rule
 *   that is off, nor where a consumer whose analysis is incomplete or partial could have put a
 *   finding (the lines of its handler): the finding it suppressed may be out of sight.
 *
 * These findings carry the ids below, not a rule's: no rule, config or `--rule` turns them off.
 */
import { Suppressions, type Directive } from '../analysis/source/directives';
import type { ResolvedConfig } from '../config/resolved-config';
import type { ConsumerReport, Finding, FindingSeverity, SourceLocation } from '../model';
import { allRules, ruleById } from '../rules';

export const UNKNOWN_RULE_IN_DIRECTIVE = 'unknown-rule-in-directive';
export const UNUSED_DISABLE_DIRECTIVE = 'unused-disable-directive';

export interface DirectiveCheck {
  /** The files whose comments are checked for unknown rule ids (the files linted). */
  files: readonly string[];
  /**
   * The files whose comments are checked for use: the broker files, and the files holding a
   * handler analysed in the run. A comment elsewhere may be meant for a finding of a consumer that
   * was not linted.
   */
  judged: ReadonlySet<string>;
  texts: ReadonlyMap<string, string>;
  findings: readonly Finding[];
  /** The findings the comments suppressed. */
  suppressed: readonly Finding[];
  consumers: readonly ConsumerReport[];
  config: ResolvedConfig;
  /** Report unused comments with this severity; undefined: do not. */
  unused?: FindingSeverity;
}

export function directiveFindings(check: DirectiveCheck): Finding[] {
  const found: Finding[] = [];
  const suppressedByFile = new Map<string, Finding[]>();
  for (const finding of check.suppressed) {
    const list = suppressedByFile.get(finding.location.filePath) ?? [];
    list.push(finding);
    suppressedByFile.set(finding.location.filePath, list);
  }
  for (const file of check.files) {
    const text = check.texts.get(file);
    if (text === undefined || !text.includes('delivery-lint-')) continue;
    const suppressions = new Suppressions(text);
    if (!suppressions.directives.length) continue;
    const lines = lineStarts(text);
    for (const directive of suppressions.directives) {
      for (const written of directive.written) {
        if (ruleById(written)) continue;
        const closest = closestRule(written);
        found.push(
          finding(UNKNOWN_RULE_IN_DIRECTIVE, 'unknownRule', 'warning', locate(file, lines, directive), {
            rule: written,
            comment: `delivery-lint-${kindWord(directive)}`,
            suggestion: closest ? ` Did you mean "${closest}"?` : '',
          }),
        );
      }
    }
    if (check.unused && check.judged.has(file))
      found.push(...unusedIn(file, lines, suppressions, suppressedByFile.get(file) ?? [], check));
  }
  return found;
}

function unusedIn(
  file: string,
  lines: number[],
  suppressions: Suppressions,
  suppressed: readonly Finding[],
  check: DirectiveCheck,
): Finding[] {
  const used = new Map<Directive, Set<string>>();
  for (const finding of suppressed) {
    const directive = suppressions.suppressing(finding.ruleId, finding.location.line);
    if (!directive) continue;
    const rules = used.get(directive) ?? new Set<string>();
    rules.add(finding.ruleId);
    used.set(directive, rules);
  }
  // Handlers whose findings may be out of sight: their lines are not judged.
  const blind = check.consumers
    .filter((consumer) => consumer.handlerRange.filePath === file && (consumer.incomplete || consumer.partial?.length))
    .map((consumer) => [consumer.handlerRange.line, consumer.handlerRange.endLine] as const);
  const lastLine = lines.length;
  const found: Finding[] = [];
  suppressions.directives.forEach((directive, index) => {
    if (directive.inert || directive.kind === 'enable') return;
    const [from, to] =
      directive.kind === 'next-line'
        ? [directive.line + 1, directive.line + 1]
        : directive.kind === 'line'
          ? [directive.line, directive.line]
          : [directive.line, regionEnd(suppressions.directives, index, lastLine)];
    if (blind.some(([start, end]) => start <= to && from <= end)) return;
    const enabled = (rule: string): boolean => {
      const meta = ruleById(rule)?.meta;
      return !!meta && (check.config.rules[rule] ?? meta.defaultSeverity) !== 'off';
    };
    const usedRules = used.get(directive) ?? new Set<string>();
    const unusedRules = directive.rules.length
      ? directive.rules.filter((rule) => enabled(rule) && !usedRules.has(rule))
      : usedRules.size || !allRules.some((rule) => enabled(rule.meta.id))
        ? []
        : ['any rule'];
    for (const rule of unusedRules) {
      found.push(
        finding(UNUSED_DISABLE_DIRECTIVE, 'unusedDirective', check.unused!, locate(file, lines, directive), {
          comment: `delivery-lint-${kindWord(directive)}`,
          rule: rule === 'any rule' ? 'any rule' : `"${rule}"`,
        }),
      );
    }
  });
  return found;
}

/** The last line a `disable` region covers: up to the next `enable` that ends it for one of its rules, or the end of the file. */
function regionEnd(directives: readonly Directive[], index: number, lastLine: number): number {
  const opening = directives[index];
  for (const later of directives.slice(index + 1)) {
    if (later.kind !== 'enable' || later.inert) continue;
    if (!later.rules.length || !opening.rules.length || later.rules.some((rule) => opening.rules.includes(rule)))
      return later.line;
  }
  return lastLine;
}

const MESSAGES: Record<string, string> = {
  unknownRule:
    '"{{rule}}" is not a delivery-lint rule: this {{comment}} comment suppresses nothing for it.{{suggestion}}',
  unusedDirective:
    'Unused {{comment}} comment: no finding of {{rule}} was suppressed by it. Remove it, or the rule id it names.',
};

function finding(
  ruleId: string,
  messageId: string,
  severity: FindingSeverity,
  location: SourceLocation,
  data: Record<string, string>,
): Finding {
  return {
    ruleId,
    messageId,
    data,
    severity,
    message: MESSAGES[messageId].replace(/\{\{(\w+)\}\}/g, (_, name: string) => data[name] ?? ''),
    location,
    related: [],
    consumerId: '',
    fixes: [],
  };
}

function kindWord(directive: Directive): string {
  return directive.kind === 'next-line'
    ? 'disable-next-line'
    : directive.kind === 'line'
      ? 'disable-line'
      : directive.kind;
}

/** The known rule id closest to a misspelt one (at most a third of its letters off), if any. */
function closestRule(written: string): string | undefined {
  let best: { id: string; distance: number } | undefined;
  for (const rule of allRules) {
    const distance = editDistance(written, rule.meta.id);
    if (distance <= Math.max(2, Math.floor(rule.meta.id.length / 3)) && (!best || distance < best.distance))
      best = { id: rule.meta.id, distance };
  }
  return best?.id;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = 0; index < text.length; index++) if (text.charCodeAt(index) === 10) starts.push(index + 1);
  return starts;
}

function locate(filePath: string, starts: number[], directive: Directive): SourceLocation {
  const position = (offset: number): { line: number; column: number } => {
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
    return { line: line + 1, column: offset - starts[line] + 1 };
  };
  const start = position(directive.start);
  const end = position(directive.end);
  return {
    filePath,
    start: directive.start,
    end: directive.end,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
  };
}
