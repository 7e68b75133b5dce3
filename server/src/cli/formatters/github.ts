/**
 * `--format github`: GitHub Actions workflow commands, one annotation per finding:
 *
 *   ::error file=src/orders.ts,line=12,col=5,endLine=12,endColumn=20,title=delivery-lint(ack-before-process)::message
 *
 * warnings are `::warning`, infos `::notice`. Related locations follow the message on lines
 * of their own. Data is escaped as the Actions runner expects (% CR LF), property values
 * also `:` and `,`.
 */
import type { FindingSeverity } from '../../model';
import type { FormatInput } from './formatter';
import { relativePath, sortFindings } from './util';

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const COMMAND: Record<FindingSeverity, string> = { error: 'error', warning: 'warning', info: 'notice' };

export function formatGithub(input: FormatInput): string {
  const lines = sortFindings(input.findings, input.cwd).map((finding) => {
    const loc = finding.location;
    const properties = [
      ['file', relativePath(input.cwd, loc.filePath)],
      ['line', String(loc.line)],
      ['col', String(loc.column)],
      ['endLine', String(loc.endLine)],
      ['endColumn', String(loc.endColumn)],
      ['title', `delivery-lint(${finding.ruleId})`],
    ]
      .map(([key, value]) => `${key}=${escapeProperty(value)}`)
      .join(',');
    const message = [
      finding.message,
      ...finding.related.map(
        (related) =>
          `↳ ${relativePath(input.cwd, related.location.filePath)}:${related.location.line} ${related.message}`,
      ),
    ].join('\n');
    return `::${COMMAND[finding.severity]} ${properties}::${escapeData(message)}`;
  });
  return lines.length ? lines.join('\n') + '\n' : '';
}
