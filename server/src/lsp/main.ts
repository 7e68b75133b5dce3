/**
 * Language server entry point, bundled to dist/server.js. Runs over stdio (`--stdio`), node IPC
 * (`--node-ipc`) or a socket, as vscode-languageserver reads from the command line.
 *
 * Over stdio the server reads its own input: a framing error (a header without a length, a body
 * that is not JSON) or the end of the input leaves a stream nothing can be read from again, so
 * the process exits instead of lingering without answering.
 */
import {
  ProposedFeatures,
  StreamMessageReader,
  StreamMessageWriter,
  createConnection,
  type Connection,
} from 'vscode-languageserver/node';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { DeliveryLintServer } from './server';

function stdioConnection(): Connection {
  const reader = new StreamMessageReader(process.stdin);
  const writer = new StreamMessageWriter(process.stdout);
  let shutdown = false;
  const exit = (code: number, why: string): never => {
    process.stderr.write(`delivery-lint: ${why}; exiting\n`);
    process.exit(code);
  };
  reader.onError((error) => exit(1, `the input stream is broken (${error.message.split('\n')[0]})`));
  reader.onClose(() => exit(shutdown ? 0 : 1, 'the input stream closed'));
  writer.onError(([error]) => exit(1, `the output stream is broken (${error.message})`));
  writer.onClose(() => exit(shutdown ? 0 : 1, 'the output stream closed'));
  const connection = createConnection(ProposedFeatures.all, reader, writer);
  connection.onShutdown(() => {
    shutdown = true;
  });
  // stdout carries the protocol: anything logged goes to the client's log instead.
  console.log = (...values: unknown[]) => connection.console.log(values.map(String).join(' '));
  console.info = (...values: unknown[]) => connection.console.info(values.map(String).join(' '));
  console.warn = (...values: unknown[]) => connection.console.warn(values.map(String).join(' '));
  console.error = (...values: unknown[]) => connection.console.error(values.map(String).join(' '));
  return connection;
}

const stdio =
  process.argv.includes('--stdio') || !process.argv.slice(2).some((arg) => /^--(node-ipc|socket|pipe)/.test(arg));
const connection = stdio ? stdioConnection() : createConnection(ProposedFeatures.all);
process.on('uncaughtException', (error) =>
  connection.console.error(`delivery-lint: unexpected error: ${error.stack ?? error.message}`),
);
process.on('unhandledRejection', (reason) =>
  connection.console.error(`delivery-lint: unexpected error: ${(reason as Error)?.stack ?? String(reason)}`),
);
/**
 * V8's full collection, so that a project freed when its last file closes gives its memory back
 * while the editor is idle (editors start the server without --expose-gc).
 */
function garbageCollector(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

new DeliveryLintServer(connection, { collectGarbage: garbageCollector() }).listen();
