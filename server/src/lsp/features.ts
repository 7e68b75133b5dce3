/** Code actions, hover and code lens, computed from the last analysis of a document. */
import {
  CodeAction,
  CodeActionKind,
  CodeLens,
  Diagnostic,
  Hover,
  MarkupKind,
  Position,
  Range,
  SnippetTextEdit,
  TextDocumentEdit,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver';
import type { ConsumerReport, Finding, SourceLocation } from '../model';
import { validMessageGuards } from '../analysis/report/ordering';
import { ensureTimeline } from '../analysis/report/build';
import { COMMANDS, FIX_ALL_KIND } from './protocol';
import { DIRECTIVE_FINDING_ID } from '../pipeline/analyze';
import * as path from 'node:path';
import { byVersion, type EditVersions, rangeOf, toDiagnostic, toWorkspaceEdit, uriOf } from './convert';
import { detectStyle } from '../rules/fixes/style';

export interface DocumentAnalysis {
  uri: string;
  filePath: string;
  version: number;
  text: string;
  findings: Finding[];
  consumers: ConsumerReport[];
  /** The text the analysis ran on (a plain function: it is passed around). */
  textOf: (filePath: string) => string | undefined;
}

function intersects(a: Range, b: Range): boolean {
  const before = (x: Position, y: Position) => x.line < y.line || (x.line === y.line && x.character <= y.character);
  return before(a.start, b.end) && before(b.start, a.end);
}

function contains(location: SourceLocation, position: Position): boolean {
  return intersects(rangeOf(location), Range.create(position, position));
}

export interface CodeActionOptions {
  /** The client applies snippet text edits (LSP 3.18 `workspace.workspaceEdit.snippetEditSupport`). */
  snippets?: boolean;
  /** The client takes versioned `documentChanges` (`workspace.workspaceEdit.documentChanges`). */
  versioned?: boolean;
}

export function codeActions(
  analysis: DocumentAnalysis,
  range: Range,
  only: string[] | undefined,
  options: CodeActionOptions = {},
): CodeAction[] {
  const actions: CodeAction[] = [];
  const wantsQuickFix =
    !only || only.some((kind) => CodeActionKind.QuickFix.startsWith(kind) || kind.startsWith(CodeActionKind.QuickFix));
  const wantsFixAll = !!only && only.some((kind) => FIX_ALL_KIND.startsWith(kind) || kind === CodeActionKind.Source);
  const versionOf = options.versioned ? versionsOf(analysis) : undefined;
  analysis.findings.forEach((finding, index) => {
    if (!wantsQuickFix || !intersects(rangeOf(finding.location), range)) return;
    const diagnostic = toDiagnostic(finding, index);
    for (const fix of finding.fixes) {
      const edit = toWorkspaceEdit(fix, analysis.textOf, versionOf);
      if (!edit) continue;
      actions.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: fix.preferred,
        edit,
      });
    }
    if (finding.ruleId !== DIRECTIVE_FINDING_ID) actions.push(suppressAction(analysis, finding, diagnostic, options));
  });
  if (wantsFixAll) {
    // Only fixes marked safe (behaviour-preserving) run unattended; the rest are offered one by one.
    const safe = analysis.findings.flatMap((finding) => finding.fixes.filter((fix) => fix.safe));
    // A fix whose text is unknown is left out, as in the quick fixes.
    const applicable = safe.filter((fix) => fix.edits.every((edit) => analysis.textOf(edit.filePath) !== undefined));
    const edit = applicable.length ? toWorkspaceEdit(applicable, analysis.textOf, versionOf) : undefined;
    if (edit) actions.push({ title: 'Fix all safe delivery-lint problems', kind: FIX_ALL_KIND, edit });
  }
  return actions;
}

/** The analysed document's edits name its version; another file's (rarely edited by a fix) is not checked. */
function versionsOf(analysis: DocumentAnalysis): EditVersions {
  return (uri) => (uri === analysis.uri ? analysis.version : null);
}

/** What the suppress fix leaves for the user to replace; a directive still saying it is reported (directives.ts). */
export const REASON_PLACEHOLDER = '<why this finding does not apply>';

/**
 * `// delivery-lint-disable-next-line <rule> -- <reason>` above the finding's line. In editors that
 * take snippets the reason is a selected placeholder to type over; elsewhere it is the placeholder
 * text, which is reported (as an empty reason) until it is replaced.
 */
function suppressAction(
  analysis: DocumentAnalysis,
  finding: Finding,
  diagnostic: Diagnostic,
  options: CodeActionOptions,
): CodeAction {
  const lines = analysis.text.split(/\r?\n/);
  const line = finding.location.line - 1;
  const indent = /^[ \t]*/.exec(lines[line] ?? '')?.[0] ?? '';
  // The file's own line ending: a CRLF file gets `\r\n`.
  const newline = detectStyle(analysis.text).newline;
  const head = `${indent}// delivery-lint-disable-next-line ${finding.ruleId} -- `;
  const position = Position.create(line, 0);
  const edit: WorkspaceEdit = options.snippets
    ? {
        documentChanges: [
          TextDocumentEdit.create({ uri: analysis.uri, version: analysis.version }, [
            {
              range: Range.create(position, position),
              snippet: {
                kind: 'snippet',
                value: `${escapeSnippet(head)}\${1:${escapeSnippet(REASON_PLACEHOLDER)}}${newline}`,
              },
            } satisfies SnippetTextEdit,
          ]),
        ],
      }
    : byVersion(
        { [analysis.uri]: [TextEdit.insert(position, `${head}${REASON_PLACEHOLDER}${newline}`)] },
        options.versioned ? versionsOf(analysis) : undefined,
      );
  return {
    title: `Suppress ${finding.ruleId} on this line (give a reason)`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    edit,
  };
}

/** Snippet syntax treats `$`, `}` and `\\` as special. */
function escapeSnippet(text: string): string {
  return text.replace(/[$}\\]/g, (character) => `\\${character}`);
}

function consumerSummary(consumer: ConsumerReport): string {
  const unsafe = consumer.effects.filter(
    (effect) => effect.description.class === 'duplicate-unsafe' && !effect.keyedByMessage,
  ).length;
  const guard = validMessageGuards(consumer).length ? 'dedup check' : 'no dedup check';
  const effects = unsafe ? `${unsafe} unsafe effect${unsafe === 1 ? '' : 's'}, ${guard}` : 'no unsafe effects';
  return `${consumer.registration.packageName ?? consumer.registration.library} · ${consumer.registration.source ?? '(dynamic source)'} · ${consumer.effectiveSemantics} · ${effects}`;
}

export function codeLenses(analysis: DocumentAnalysis): CodeLens[] {
  return analysis.consumers
    .filter((consumer) => consumer.registration.location.filePath === analysis.filePath)
    .map((consumer) => ({
      range: rangeOf(consumer.registration.location),
      command: {
        title: `${consumer.incomplete ? `${consumer.registration.packageName ?? consumer.registration.library} · not fully analysed: ${consumer.incomplete}` : consumerSummary(consumer)} · Explain`,
        command: COMMANDS.explainConsumer,
        arguments: [analysis.uri, consumer.id],
      },
    }));
}

/** How many effects and guards the hover lists before "and N more" (the panel has them all). */
const HOVER_ITEMS = 3;

/**
 * A location as the hover shows it: `line 13` in the hovered file, else the file too, as a link
 * (`services/user.service.ts:13`), relative to the hovered file's folder.
 */
function whereIs(location: SourceLocation, documentPath: string): string {
  if (location.filePath === documentPath) return `line ${location.line}`;
  let relative = path.relative(path.dirname(documentPath), location.filePath).split(path.sep).join('/');
  if (relative.startsWith('../../../')) relative = path.basename(location.filePath);
  return `[${text(relative)}:${location.line}](${uriOf(location.filePath)}#L${location.line})`;
}

/**
 * The hover on a consumer: what it is, its semantics and worst crash outcome, its duplicate-unsafe
 * effects and guards (a few, with the file each is in), and a "More" link to the explainer panel.
 */
export function hover(analysis: DocumentAnalysis, position: Position): Hover | undefined {
  const consumer = analysis.consumers.find(
    (candidate) =>
      contains(candidate.handlerLocation, position) ||
      contains(candidate.registration.location, position) ||
      candidate.settles.some((settle) => contains(settle.handlerLocation, position)),
  );
  if (!consumer) return undefined;
  // Every string below that comes from the workspace (topics, labels, callee names, reasons) is
  // escaped: a backtick in a topic name must not end its code span and inject a link or an image.
  const { registration } = consumer;
  const library = registration.packageName ?? registration.libraryDisplayName;
  const lines = [
    `**delivery-lint** · ${text(library)} consumer${registration.source ? ` of ${code(registration.source)}` : ''} · ${text(registration.ackMode)} (${text(registration.form)})`,
    '',
    crashLine(consumer),
    '',
    `declared: **${text(consumer.declaredSemantics)}** · effective: **${text(consumer.effectiveSemantics)}** · identity: ${code(consumer.identityExpression ?? consumer.identityHint)}`,
  ];
  const unsafe = consumer.effects.filter((effect) => effect.description.class === 'duplicate-unsafe');
  const shown = (unsafe.length ? unsafe : consumer.effects).slice(0, HOVER_ITEMS);
  if (shown.length) {
    lines.push('');
    for (const effect of shown)
      lines.push(
        `- ${text(effect.description.class)}: ${text(effect.description.label)} (${whereIs(effect.location, analysis.filePath)}${effect.chain.length ? `, via ${effect.chain.map((link) => text(link.callee)).join(' → ')}` : ''})`,
      );
    const more = consumer.effects.length - shown.length;
    if (more > 0) lines.push(`- and ${more} more effect${more === 1 ? '' : 's'}`);
  }
  for (const guard of consumer.guards.slice(0, HOVER_ITEMS))
    lines.push(
      `- guard, ${text(guard.kind)}: ${text(guard.label)} (${whereIs(guard.location, analysis.filePath)})${guard.invalidReason ? ` — does not count: ${text(guard.invalidReason)}` : ''}`,
    );
  const args = encodeURIComponent(JSON.stringify([analysis.uri, consumer.id]));
  lines.push(
    '',
    `[More: the crash timeline and what each finding means](command:${COMMANDS.explainConsumer}?${args} "Open the delivery semantics explainer")`,
  );
  return { contents: { kind: MarkupKind.Markdown, value: lines.join('\n') } };
}

/** One line: the effective semantics and the worst outcome of a crash or error in the handler. */
function crashLine(consumer: ConsumerReport): string {
  const timeline = ensureTimeline(consumer);
  if (!timeline.steps.length) return `effective: **${consumer.effectiveSemantics}** · worst crash: unknown`;
  const worst = timeline.worst;
  const what = worst.kind === 'safe' ? '' : ` (${text(worst.summary)})`;
  return `effective: **${text(consumer.effectiveSemantics)}** · worst crash: **${text(worst.kind)}**${what}`;
}

/**
 * A workspace-derived string as Markdown text: every character that opens an inline construct
 * (emphasis, code, link, image, HTML, entity, table cell, strikethrough) is backslash-escaped, one
 * that would open a block (heading, list, quote) is escaped at the start, and a line break becomes
 * a space, so the string renders as itself and cannot start a block of its own.
 */
export function text(value: string): string {
  return value
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[\\`*_[\]<>!|~&]/g, (character) => `\\${character}`)
    .replace(/^(\s*)([#+\-=]|\d+(?=[.)]))/, (_, space: string, marker: string) =>
      /\d/.test(marker) ? `${space}${marker}\\` : `${space}\\${marker}`,
    );
}

/**
 * A workspace-derived string as a Markdown code span: fenced by more backticks than the longest
 * run inside it (CommonMark), padded when it starts or ends with a backtick, on one line.
 */
export function code(value: string): string {
  const flat = value.replace(/\r?\n|\r/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || (flat.startsWith(' ') && flat.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

export { uriOf };
