/**
 * `--format json`: ESLint's JSON result format, so tools that read ESLint output read ours.
 * One result per file linted (files without findings too), sorted by path:
 *
 *   [{ "filePath": "/abs/src/orders.ts",
 *      "messages": [{ "ruleId": "ack-before-process", "severity": 2, "message": "...",
 *                     "messageId": "ackBeforeProcessing",
 *                     "line": 12, "column": 5, "endLine": 12, "endColumn": 20 }],
 *      "errorCount": 1, "warningCount": 0, "fixableErrorCount": 0, "fixableWarningCount": 0 }]
 *
 * Severity 2 is an error; warnings and infos are 1 (ESLint has no info level). A finding with a
 * safe fix (`--fix` applies it) counts in `fixableErrorCount`/`fixableWarningCount`; with `--fix`
 * or `--fix-dry-run`, a file the fixes changed has its new text in `output`, as in ESLint.
 * With `--explain` the output is an object instead: { "results": [...the array above],
 * "consumers": [...ConsumerReport without its "paths" and its registration's "traits", with its crash "timeline"] }.
 */
import type { Finding } from '../../model';
import { safeFixOf } from '../fix';
import { consumersForJson } from './explain';
import type { FormatInput } from './formatter';
import { absolutePath, compareStrings, sortFindings } from './util';

export interface EslintMessage {
  ruleId: string;
  severity: 1 | 2;
  message: string;
  /** The id of the rule's message (ESLint's `messageId`): stable when the wording changes. */
  messageId: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface EslintResult {
  filePath: string;
  messages: EslintMessage[];
  errorCount: number;
  warningCount: number;
  fixableErrorCount: number;
  fixableWarningCount: number;
  /** The file's text after --fix / --fix-dry-run, when the fixes changed it. */
  output?: string;
}

export function eslintResults(input: FormatInput): EslintResult[] {
  const byFile = new Map<string, Finding[]>();
  for (const file of input.run.filesLinted) byFile.set(absolutePath(input.cwd, file), []);
  for (const file of input.fixed?.keys() ?? [])
    if (!byFile.has(absolutePath(input.cwd, file))) byFile.set(absolutePath(input.cwd, file), []);
  for (const finding of sortFindings(input.findings, input.cwd)) {
    const file = absolutePath(input.cwd, finding.location.filePath);
    let list = byFile.get(file);
    if (!list) byFile.set(file, (list = []));
    list.push(finding);
  }
  return [...byFile.keys()].sort(compareStrings).map((filePath) => {
    const findings = byFile.get(filePath)!;
    const messages = findings.map((f): EslintMessage => ({
      ruleId: f.ruleId,
      severity: f.severity === 'error' ? 2 : 1,
      message: f.message,
      messageId: f.messageId,
      line: f.location.line,
      column: f.location.column,
      endLine: f.location.endLine,
      endColumn: f.location.endColumn,
    }));
    const errorCount = messages.filter((m) => m.severity === 2).length;
    const fixable = findings.filter((finding) => safeFixOf(finding));
    const fixableErrorCount = fixable.filter((finding) => finding.severity === 'error').length;
    const output = input.fixed?.get(filePath);
    return {
      filePath,
      messages,
      errorCount,
      warningCount: messages.length - errorCount,
      fixableErrorCount,
      fixableWarningCount: fixable.length - fixableErrorCount,
      ...(output !== undefined ? { output } : {}),
    };
  });
}

export function formatJson(input: FormatInput): string {
  const results = eslintResults(input);
  const output = input.explain ? { results, consumers: consumersForJson(input.run.consumers, input.cwd) } : results;
  return JSON.stringify(output) + '\n';
}
