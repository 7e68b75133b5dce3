/**
 * The data the explainer panel renders, and the messages its webview sends back. Plain types
 * with no `vscode` import, so the renderer can be tested in plain Node.
 */
import type { FindingSeverity, PublicConsumerReport } from '../../../server/src/model';

/** A consumer as the `deliveryLint/consumerReports` request returns it (without `paths`). */
export type PanelConsumer = PublicConsumerReport;

/** A source range; lines and columns are 1-based, as in the analyzer's SourceLocation. */
export interface PanelLocation {
  filePath: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** A delivery-lint diagnostic VS Code currently shows for the document. */
export interface PanelDiagnostic {
  ruleId: string;
  severity: FindingSeverity | 'hint';
  message: string;
  location: PanelLocation;
}

/** Rule metadata the panel explains findings with (generated from server/src/rules/). */
export interface RuleInfo {
  id: string;
  defaultSeverity: FindingSeverity;
  description: string;
  rationale: string;
  docsUrl: string;
}

export interface PanelData {
  /** Fresh per render; the only thing allowed to run or style the page. */
  nonce: string;
  /** The consumer explained, if any. */
  consumer?: PanelConsumer;
  /** Every consumer of the document, to switch between (the explained one included). */
  consumers: PanelConsumer[];
  /** delivery-lint diagnostics of the explained consumer. */
  diagnostics: PanelDiagnostic[];
  rules: readonly RuleInfo[];
  /** Workspace folder paths; locations under one are shown relative to it. */
  roots?: readonly string[];
  /** Shown above everything: no consumer in this file, server not running… */
  notice?: string;
}

/** Messages from the webview. Targets are indexes into the list the renderer returned. */
export type PanelMessage =
  | { type: 'reveal'; target: number }
  | { type: 'select'; consumer: number }
  | { type: 'refresh' }
  | { type: 'showOutput' };

export function isPanelMessage(value: unknown): value is PanelMessage {
  if (!value || typeof value !== 'object') return false;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'reveal':
      return Number.isInteger(message.target);
    case 'select':
      return Number.isInteger(message.consumer);
    case 'refresh':
    case 'showOutput':
      return true;
    default:
      return false;
  }
}
