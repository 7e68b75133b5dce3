import assert from 'node:assert/strict';
import { test } from 'node:test';
import { documentSelector, LANGUAGE_IDS, WATCHED_FILES } from '../../client/src/languages';
import { statusView } from '../../client/src/status';

test('the status bar follows the client and the server', () => {
  assert.match(statusView({ client: 'starting', enabled: true }).text, /sync~spin/);
  assert.match(
    statusView({ client: 'running', enabled: true, server: { state: 'loading', consumers: 0 } }).text,
    /sync~spin/,
  );

  const ready = statusView({ client: 'running', enabled: true, server: { state: 'ready', consumers: 3 } });
  assert.equal(ready.text, '$(check) delivery-lint: 3 consumers');
  assert.equal(ready.command, 'explain');
  assert.equal(
    statusView({ client: 'running', enabled: true, server: { state: 'ready', consumers: 1 } }).text,
    '$(check) delivery-lint: 1 consumer',
  );

  const none = statusView({ client: 'running', enabled: true, server: { state: 'ready', consumers: 0 } });
  assert.equal(none.command, 'showOutput');

  const failed = statusView({
    client: 'running',
    enabled: true,
    server: { state: 'error', consumers: 0, message: 'boom' },
  });
  assert.equal(failed.tone, 'error');
  assert.equal(failed.command, 'showOutput');
  assert.match(failed.tooltip, /boom/);

  const stopped = statusView({ client: 'stopped', enabled: true, server: { state: 'ready', consumers: 2 } });
  assert.equal(stopped.tone, 'error');
  assert.match(stopped.tooltip, /Restart Language Server/);

  assert.match(
    statusView({ client: 'running', enabled: false, server: { state: 'ready', consumers: 2 } }).text,
    /circle-slash/,
  );
});

test('the client serves TS and JS files on disk (the analysis needs their project), and watches configs and sources', () => {
  const selector = documentSelector();
  assert.equal(selector.length, LANGUAGE_IDS.length);
  for (const language of ['typescript', 'typescriptreact', 'javascript', 'javascriptreact']) {
    assert.ok(selector.some((entry) => entry.language === language && entry.scheme === 'file'));
  }
  assert.ok(selector.every((entry) => entry.scheme !== 'untitled'));
  for (const pattern of [
    '**/tsconfig.json',
    '**/delivery-lint.config.json',
    '**/package.json',
    '**/*.{ts,tsx,js,jsx,mts,cts,mjs,cjs}',
  ]) {
    assert.ok((WATCHED_FILES as readonly string[]).includes(pattern), pattern);
  }
});

test('an unusable delivery-lint.config.json turns the status bar to a warning that opens the file', () => {
  const broken = statusView({
    client: 'running',
    enabled: true,
    server: {
      state: 'ready',
      consumers: 2,
      configError: {
        message: 'delivery-lint.config.json:3:14: invalid JSON: expected a value',
        uri: 'file:///project/delivery-lint.config.json',
        line: 2,
        character: 13,
        fallback: 'last-valid',
      },
    },
  });
  assert.equal(broken.tone, 'warning');
  assert.equal(broken.text, '$(warning) delivery-lint: config error');
  assert.equal(broken.command, 'openConfig');
  assert.match(broken.tooltip, /3:14: invalid JSON/);
  assert.match(broken.tooltip, /uses the last valid configuration until the file is fixed/);

  const never = statusView({
    client: 'running',
    enabled: true,
    server: { state: 'ready', consumers: 0, configError: { message: 'unknown rule x', fallback: 'defaults' } },
  });
  assert.match(never.tooltip, /uses the default configuration/);
});
