/**
 * Names shared by the language server and the VS Code client: custom requests, commands and the
 * settings section. Plain constants and types only, so both bundles can import them.
 */

export const SETTINGS_SECTION = 'deliveryLint';

/** `deliveryLint/consumerReports`: every consumer of a document, for the explainer panel. */
export const CONSUMER_REPORTS_REQUEST = 'deliveryLint/consumerReports';
export interface ConsumerReportsParams {
  uri: string;
}

/** `deliveryLint/status`: consumers found so far, for the status bar. */
export const STATUS_NOTIFICATION = 'deliveryLint/status';
export interface StatusParams {
  state: 'loading' | 'ready' | 'error';
  consumers: number;
  message?: string;
}

export const COMMANDS = {
  explain: 'deliveryLint.explain',
  explainConsumer: 'deliveryLint.explainConsumer',
  restart: 'deliveryLint.restartServer',
  showOutput: 'deliveryLint.showOutput',
} as const;

/** The client's settings as the server reads them through workspace/configuration. */
export interface ClientSettings {
  enable: boolean;
  rules: Record<string, 'off' | 'warn' | 'error' | 'info'>;
  /** Unset (null): the project's delivery-lint.config.json decides. */
  guardStrategy?: 'redis' | 'sql' | 'powertools' | 'memory' | null;
}

export const FIX_ALL_KIND = 'source.fixAll.delivery-lint';
