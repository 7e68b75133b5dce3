/**
 * Language server entry point, bundled to dist/server.js. Runs over stdio (`--stdio`), node IPC
 * (`--node-ipc`) or a socket, as vscode-languageserver reads from the command line.
 */
import { ProposedFeatures, createConnection } from 'vscode-languageserver/node';
import { DeliveryLintServer } from './server';

const connection = createConnection(ProposedFeatures.all);
process.on('uncaughtException', (error) =>
  connection.console.error(`delivery-lint: unexpected error: ${error.stack ?? error.message}`),
);
new DeliveryLintServer(connection).listen();
