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

/**
 * `deliveryLint/memory`: the server's memory after a full garbage collection (when the runtime
 * allows one), for the soak and the benchmarks.
 */
export const MEMORY_REQUEST = 'deliveryLint/memory';
export interface MemoryReport {
  rssMb: number;
  heapUsedMb: number;
  /** Whether a full collection ran before the figures were read. */
  collected: boolean;
  projects: number;
  openDocuments: number;
}

/** `deliveryLint/status`: consumers found so far, for the status bar. */
export const STATUS_NOTIFICATION = 'deliveryLint/status';
export interface StatusParams {
  state: 'loading' | 'ready' | 'error';
  consumers: number;
  message?: string;
  /** delivery-lint.config.json cannot be used: the analysis runs on the last valid config (or the defaults). */
  configError?: ConfigErrorParams;
}

export interface ConfigErrorParams {
  message: string;
  /** file: URI of the config file, when one was found. */
  uri?: string;
  /** 0-based position of the error, when the message names one. */
  line?: number;
  character?: number;
  fallback: 'last-valid' | 'defaults';
}

export const COMMANDS = {
  explain: 'deliveryLint.explain',
  explainConsumer: 'deliveryLint.explainConsumer',
  restart: 'deliveryLint.restartServer',
  showOutput: 'deliveryLint.showOutput',
  /** Opens delivery-lint.config.json (at its error, when the status bar shows one). */
  openConfig: 'deliveryLint.openConfig',
} as const;

/** The client's settings as the server reads them through workspace/configuration. */
export interface ClientSettings {
  enable: boolean;
  rules: Record<string, 'off' | 'warn' | 'error' | 'info'>;
  /** Unset (null): the project's delivery-lint.config.json decides. */
  guardStrategy?: 'redis' | 'sql' | 'powertools' | 'memory' | null;
}

export const FIX_ALL_KIND = 'source.fixAll.delivery-lint';
