/**
 * The default, human format: findings grouped by file.
 *
 *   src/orders.ts
 *     12:5  error    The message is acked before ...  ack-before-process
 *         ↳ src/billing.ts:40 Stripe charges.create runs after the ack
 *
 *   ✖ 1 problem (1 error, 0 warnings, 0 infos)
 */
import { safeFixOf } from '../fix';
import type { ConsumerReport, Finding, FindingSeverity } from '../../model';
import { formatExplainText } from './explain';
import type { FormatInput } from './formatter';
import { colors, groupByFile, plural, relativePath } from './util';

export function formatStylish(input: FormatInput): string {
  const c = colors(input.color);
  const out: string[] = [];
  if (input.explain) out.push(formatExplainText(input.run.consumers, input.cwd, input.color));

  const severityColor: Record<FindingSeverity, (text: string) => string> = {
    error: c.red,
    warning: c.yellow,
    info: c.blue,
  };
  const counts: Record<FindingSeverity, number> = { error: 0, warning: 0, info: 0 };

  for (const [file, findings] of groupByFile(input.findings, input.cwd)) {
    const positions = findings.map((f) => `${f.location.line}:${f.location.column}`);
    const posWidth = Math.max(...positions.map((p) => p.length));
    const sevWidth = Math.max(...findings.map((f) => f.severity.length));
    const messages = findings.map((f) => firstLine(f.message));
    const msgWidth = Math.max(...messages.map((m) => m.length));
    const lines = [c.underline(relativePath(input.cwd, file))];
    findings.forEach((finding: Finding, i) => {
      counts[finding.severity]++;
      const indent = 2 + posWidth + 2 + sevWidth + 2;
      lines.push(
        `  ${c.dim(positions[i].padEnd(posWidth))}  ${severityColor[finding.severity](finding.severity.padEnd(sevWidth))}  ` +
          `${messages[i].padEnd(msgWidth)}  ${c.dim(finding.ruleId)}`,
      );
      for (const more of restLines(finding.message)) lines.push(`${' '.repeat(indent)}${more}`);
      for (const related of finding.related) {
        const target = `${relativePath(input.cwd, related.location.filePath)}:${related.location.line}`;
        lines.push(`      ${c.dim(`↳ ${target}`)} ${related.message}`);
      }
    });
    out.push(lines.join('\n') + '\n');
  }

  const total = counts.error + counts.warning + counts.info;
  const hidden =
    input.hiddenCount > 0
      ? ` (${plural(input.hiddenCount, 'warning or info', 'warnings and infos')} hidden by --quiet)`
      : '';
  if (total === 0) {
    const files = plural(input.run.filesLinted.length, 'file');
    const consumers = plural(input.run.consumers.length, 'consumer');
    const what = input.hiddenCount > 0 ? 'No errors' : 'No problems';
    out.push(c.green(`${what} found in ${files} (${consumers})`) + hidden + '\n');
  } else {
    const summary =
      `✖ ${plural(total, 'problem')} ` +
      `(${plural(counts.error, 'error')}, ${plural(counts.warning, 'warning')}, ${plural(counts.info, 'info')})`;
    const paint = counts.error > 0 ? c.red : counts.warning > 0 ? c.yellow : c.blue;
    const fixable = input.findings.filter((finding) => safeFixOf(finding)).length;
    const hint =
      fixable && !input.fixMode
        ? paint(`  ${plural(fixable, 'problem has', 'problems have')} a safe fix: run with --fix to apply it`) + '\n'
        : '';
    out.push(paint(c.bold(summary)) + hidden + '\n' + hint);
  }
  const coverage = coverageLine(input.run.consumers);
  if (coverage && !input.explain) out.push(c.yellow(coverage) + '\n');
  return out.join('\n');
}

/**
 * `36 consumers, 1 not fully analysed, 2 partly analysed (--explain shows why)`: what the analysis could
 * not see is said, never left silent (docs/model.md, "What the analysis cannot see").
 */
export function coverageLine(consumers: readonly ConsumerReport[]): string | undefined {
  const incomplete = consumers.filter((consumer) => consumer.incomplete).length;
  const partial = consumers.filter((consumer) => !consumer.incomplete && consumer.partial?.length).length;
  if (!incomplete && !partial) return undefined;
  const parts = [plural(consumers.length, 'consumer')];
  if (incomplete) parts.push(`${incomplete} not fully analysed`);
  if (partial) parts.push(`${partial} partly analysed`);
  return `${parts.join(', ')} (--explain shows why)`;
}

function firstLine(message: string): string {
  return message.split(/\r?\n/)[0];
}

function restLines(message: string): string[] {
  return message.split(/\r?\n/).slice(1);
}
