/**
 * What the status bar item shows, as a pure function of the client's and the server's state,
 * so it is tested without VS Code.
 */
import type { StatusParams } from '../../server/src/lsp/protocol';

export interface StatusState {
  /** The language client's own state. */
  client: 'starting' | 'running' | 'stopped';
  /** The last `deliveryLint/status` notification. */
  server?: StatusParams;
  /** `deliveryLint.enable` */
  enabled: boolean;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Which command a click runs: the explainer when there is something to explain, the config file when it is broken, else the output. */
  command: 'explain' | 'showOutput' | 'openConfig';
  /** Error and warning states get the theme's status bar error/warning background. */
  tone: 'normal' | 'warning' | 'error';
}

export function statusView(state: StatusState): StatusView {
  if (!state.enabled) {
    return {
      text: '$(circle-slash) delivery-lint',
      tooltip: 'delivery-lint is turned off (deliveryLint.enable). Click to show the output.',
      command: 'showOutput',
      tone: 'normal',
    };
  }
  if (state.client === 'stopped') {
    return {
      text: '$(error) delivery-lint',
      tooltip:
        'The delivery-lint language server is not running. Click to show the output; run "delivery-lint: Restart Language Server" to start it again.',
      command: 'showOutput',
      tone: 'error',
    };
  }
  const server = state.server;
  if (server?.state === 'error') {
    const detail = server.message ? `: ${server.message}` : '';
    return {
      text: '$(error) delivery-lint',
      tooltip: `The last analysis failed${detail}. Click to show the output.`,
      command: 'showOutput',
      tone: 'error',
    };
  }
  if (state.client === 'starting' || !server || server.state === 'loading') {
    return {
      text: '$(sync~spin) delivery-lint',
      tooltip: 'delivery-lint is loading the project…',
      command: 'showOutput',
      tone: 'normal',
    };
  }
  const count = server.consumers;
  const noun = count === 1 ? 'consumer' : 'consumers';
  if (server.configError) {
    const using =
      server.configError.fallback === 'last-valid' ? 'the last valid configuration' : 'the default configuration';
    return {
      text: `$(warning) delivery-lint: config error`,
      tooltip: `delivery-lint.config.json cannot be used: ${server.configError.message}. The analysis uses ${using} until the file is fixed (${count} message ${noun} in the open files). Click to open the file.`,
      command: 'openConfig',
      tone: 'warning',
    };
  }
  if (!count) {
    return {
      text: '$(check) delivery-lint',
      tooltip: 'delivery-lint is ready; no message consumers in the open files. Click to show the output.',
      command: 'showOutput',
      tone: 'normal',
    };
  }
  return {
    text: `$(check) delivery-lint: ${count} ${noun}`,
    tooltip: `delivery-lint is ready: ${count} message ${noun} in the open files. Click to explain the consumer in the active editor.`,
    command: 'explain',
    tone: 'normal',
  };
}
