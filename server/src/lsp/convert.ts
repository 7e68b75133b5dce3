/** Findings and locations in LSP terms. */
import { pathToFileURL, fileURLToPath } from 'node:url';
import {
  Diagnostic,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  DiagnosticTag,
  Range,
  TextDocumentEdit,
  TextEdit,
  WorkspaceEdit,
} from 'vscode-languageserver';
import type { Finding, FixSuggestion, SourceLocation } from '../model';
import { ruleById } from '../rules';

export function uriOf(filePath: string): string {
  return pathToFileURL(filePath).toString();
}

export function pathOf(uri: string): string | undefined {
  try {
    return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
  } catch {
    return undefined;
  }
}

export function rangeOf(location: SourceLocation): Range {
  return Range.create(location.line - 1, location.column - 1, location.endLine - 1, location.endColumn - 1);
}

const SEVERITY: Record<Finding['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

export interface DiagnosticData {
  consumerId: string;
  findingIndex: number;
}

export function toDiagnostic(finding: Finding, findingIndex: number): Diagnostic {
  const rule = ruleById(finding.ruleId);
  return {
    range: rangeOf(finding.location),
    severity: SEVERITY[finding.severity],
    code: finding.ruleId,
    codeDescription: rule ? { href: rule.meta.docsUrl } : undefined,
    source: 'delivery-lint',
    message: finding.message,
    relatedInformation: finding.related.map((related) =>
      DiagnosticRelatedInformation.create(
        { uri: uriOf(related.location.filePath), range: rangeOf(related.location) },
        related.message,
      ),
    ),
    tags: [] as DiagnosticTag[],
    data: { consumerId: finding.consumerId, findingIndex } satisfies DiagnosticData,
  };
}

/** Offsets to positions, in the text the analysis ran on. */
function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let index = 0; index < offset && index < text.length; index++) {
    if (text.charCodeAt(index) === 10) {
      line++;
      lineStart = index + 1;
    }
  }
  return { line, character: offset - lineStart };
}

/**
 * The document version each edited file's edits were computed for: the analysed document's
 * version, `null` for another file (no version is checked for it). Given, the edit names it and a client
 * refuses it once the document has changed (a code action kept from before an edit, or one applied
 * twice); absent, the edit is an unversioned `changes` map for clients without `documentChanges`.
 */
export type EditVersions = (uri: string) => number | null;

/** The edits of one or more fixes, grouped by file, as a workspace edit. */
export function toWorkspaceEdit(
  fixes: FixSuggestion | readonly FixSuggestion[],
  textOf: (filePath: string) => string | undefined,
  versionOf?: EditVersions,
): WorkspaceEdit | undefined {
  const changes: Record<string, TextEdit[]> = {};
  const list: readonly FixSuggestion[] = 'edits' in fixes ? [fixes] : fixes;
  for (const fix of list) {
    const edits: [string, TextEdit][] = [];
    for (const edit of fix.edits) {
      const text = textOf(edit.filePath);
      if (text === undefined) return undefined;
      const range = Range.create(positionAt(text, edit.start), positionAt(text, edit.end));
      edits.push([uriOf(edit.filePath), TextEdit.replace(range, edit.newText)]);
    }
    for (const [uri, edit] of edits) (changes[uri] ??= []).push(edit);
  }
  return byVersion(changes, versionOf);
}

/** `changes` as versioned `documentChanges` when the versions are known. */
export function byVersion(changes: Record<string, TextEdit[]>, versionOf?: EditVersions): WorkspaceEdit {
  if (!versionOf) return { changes };
  return {
    documentChanges: Object.entries(changes).map(([uri, edits]) =>
      TextDocumentEdit.create({ uri, version: versionOf(uri) }, edits),
    ),
  };
}
