/**
 * The built language server (dist/server.js) under protocol abuse and hostile workspaces, each a
 * reproduction of issue 12: requests before `initialize`, broken framing, a closed input,
 * cancelled requests, loose files, a device file and a deeply nested file in the folder, and the
 * scheduling (only the changed documents and those that reach them are analysed, only changed
 * diagnostics are published).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import { LspClient } from '../lsp/client';
import { writeProject } from '../cli/helpers';
import { GOOD_CONSUMER, NESTING_SHAPES } from './fixtures';

const SERVER = path.resolve(__dirname, '..', '..', 'dist', 'server.js');

let root: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-lsp-hostile-'));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function folder(name: string, files: Record<string, string>): string {
  return writeProject(root, name, files);
}

/** Frames a JSON-RPC message for the wire. */
function frame(message: object): string {
  const body = JSON.stringify(message);
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Spawns the server on stdio, writes raw bytes, and collects what it answers until it exits or the time is up. */
function rawSession(
  input: string,
  waitMs: number,
  closeInput = false,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    const timer = setTimeout(() => {
      child.kill();
      resolve({ code: null, stdout });
    }, waitMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
    child.stdin.write(input);
    if (closeInput) child.stdin.end();
  });
}

/** The JSON bodies of the messages in a stdout capture. */
function messages(stdout: string): { id?: number; result?: unknown; error?: { code: number }; method?: string }[] {
  return stdout
    .split(/Content-Length: \d+\r\n\r\n/)
    .filter((part) => part.trim())
    .map((part) => JSON.parse(part) as { id?: number });
}

describe('protocol', () => {
  it('refuses requests before initialize with -32002 and drops notifications', async () => {
    const uri = 'file:///tmp/not-opened.ts';
    const input =
      frame({
        jsonrpc: '2.0',
        method: 'textDocument/didOpen',
        params: { textDocument: { uri, languageId: 'typescript', version: 1, text: GOOD_CONSUMER } },
      }) +
      frame({
        jsonrpc: '2.0',
        id: 1,
        method: 'textDocument/hover',
        params: { textDocument: { uri }, position: { line: 4, character: 10 } },
      }) +
      frame({ jsonrpc: '2.0', id: 2, method: 'textDocument/codeLens', params: { textDocument: { uri } } }) +
      frame({ jsonrpc: '2.0', id: 3, method: 'deliveryLint/consumerReports', params: { uri } }) +
      frame({ jsonrpc: '2.0', id: 4, method: 'workspace/symbol', params: { query: '' } });
    const { stdout } = await rawSession(input, 3000);
    const answers = messages(stdout);
    for (const id of [1, 2, 3, 4]) {
      const answer = answers.find((message) => message.id === id);
      assert.equal(answer?.error?.code, -32002, `request ${id}: ${JSON.stringify(answer)}`);
    }
    assert.ok(
      !answers.some((message) => message.method === 'textDocument/publishDiagnostics'),
      'the didOpen was dropped',
    );
  });

  it('exits on a framing error instead of lingering', async () => {
    const { code } = await rawSession('Content-Type: nonsense\r\n\r\n{}' + 'garbage\r\n\r\n', 10_000);
    assert.notEqual(code, null, 'the process exited');
    assert.equal(code, 1);
  });

  it('exits when its input closes', async () => {
    const { code } = await rawSession('', 10_000, true);
    assert.equal(code, 1);
  });

  it('honours $/cancelRequest on a request waiting for an analysis', async () => {
    const dir = folder('cancel', { 'src/good.ts': GOOD_CONSUMER });
    const file = path.join(dir, 'src/good.ts');
    const client = new LspClient();
    try {
      await client.initialize(dir);
      const published = client.waitForDiagnostics(file);
      await client.open(file, GOOD_CONSUMER);
      await published;
      // A new version, then a hover on it cancelled before its analysis can have run (all three
      // messages written at once).
      const source = new CancellationTokenSource();
      void client.change(file, `${GOOD_CONSUMER}\n// edited\n`);
      const hover = client.connection.sendRequest(
        'textDocument/hover',
        { textDocument: { uri: client.uri(file) }, position: { line: 4, character: 10 } },
        source.token,
      );
      source.cancel();
      await assert.rejects(hover, (error: { code?: number }) => error.code === -32800);
      // The server goes on answering.
      const value = await client.hover(file, 4, 10);
      assert.ok(value, 'a later hover is answered');
    } finally {
      await client.shutdown();
    }
  });
});

describe('workspaces', () => {
  it('loose files share one project and their folder is not scanned', async () => {
    const workspace = folder('ws-loose', { 'README.md': 'nothing here' });
    // A folder of 2,000 files around the loose file: scanning it would take long and show in the log.
    const loose = folder('loose', { 'consumer.ts': GOOD_CONSUMER });
    for (let index = 0; index < 2000; index++)
      fs.writeFileSync(
        path.join(loose, `noise-${index}.ts`),
        `import { Kafka } from 'kafkajs';\nexport const n${index} = Kafka;\n`,
      );
    const client = new LspClient();
    try {
      await client.initialize(workspace);
      const files = [path.join(loose, 'consumer.ts')];
      for (let index = 0; index < 5; index++) {
        const other = path.join(root, `loose-${index}`, 'consumer.ts');
        fs.mkdirSync(path.dirname(other), { recursive: true });
        fs.writeFileSync(other, GOOD_CONSUMER);
        files.push(other);
      }
      for (const file of files) {
        const published = client.waitForDiagnostics(file, undefined, 20_000);
        await client.open(file, GOOD_CONSUMER);
        const { diagnostics } = await published;
        assert.deepEqual(
          diagnostics.map((diagnostic) => diagnostic.code),
          ['missing-event-id-check'],
        );
      }
      assert.ok(
        !client.logs.some((line) => / files in .*loose.* import a broker library/.test(line)),
        `no folder scan: ${client.logs.join('\n')}`,
      );
      const cleared = files.map((file) =>
        client.waitForDiagnostics(file, (params) => params.version === undefined && !params.diagnostics.length),
      );
      for (const file of files) await client.close(file);
      await Promise.all(cleared);
      // Reopened after everything closed: a fresh project answers.
      const again = client.waitForDiagnostics(files[0]);
      await client.open(files[0], GOOD_CONSUMER);
      assert.equal((await again).diagnostics.length, 1);
    } finally {
      await client.shutdown();
    }
  });

  it('a device file and a deeply nested file in the folder: the other files get their diagnostics', async () => {
    const dir = folder('ws-hostile', {
      'src/good.ts': GOOD_CONSUMER,
      'src/deep.ts': `import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n${NESTING_SHAPES.parentheses(800)}`,
      'src/deeper.ts': `import { Kafka } from 'kafkajs';\nexport const k = Kafka;\n${NESTING_SHAPES.ifBlocks(1500)}`,
      'delivery-lint.config.json': JSON.stringify({ ignore: ['**a**a**a**a**a**a**a**a**a**a**a**a**b'] }),
    });
    fs.mkdirSync(path.join(dir, 'src', 'a'.repeat(36)));
    fs.symlinkSync('/dev/zero', path.join(dir, 'src/zero.ts'));
    const client = new LspClient();
    try {
      await client.initialize(dir);
      const file = path.join(dir, 'src/good.ts');
      const published = client.waitForDiagnostics(file, undefined, 30_000);
      await client.open(file, GOOD_CONSUMER);
      assert.deepEqual(
        (await published).diagnostics.map((diagnostic) => diagnostic.code),
        ['missing-event-id-check'],
      );
      // The deep file opened in the editor: named in the log, nothing shown for it, the server alive.
      const deep = path.join(dir, 'src/deep.ts');
      const deepPublished = client.waitForDiagnostics(deep, undefined, 30_000);
      await client.open(deep, fs.readFileSync(deep, 'utf8'));
      assert.deepEqual((await deepPublished).diagnostics, []);
      assert.ok(
        client.logs.some((line) => /deep\.ts: is nested/.test(line)),
        client.logs.join('\n'),
      );
      assert.ok(
        client.logs.some((line) => /zero\.ts: is a character device; skipped/.test(line)),
        client.logs.join('\n'),
      );
      const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${client.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      assert.ok(rss < 1024, `server RSS ${Math.round(rss)} MB`);
      assert.equal(client.exited, false);
    } finally {
      await client.shutdown();
    }
  });
});

/** A helper with one unsafe effect, and consumers that do or do not reach it. */
const HELPER = `export async function charge(id: string): Promise<void> {
  await fetch('https://billing.example/charge', { method: 'POST', body: id });
}
`;
const REACHES_HELPER = `import { Kafka } from 'kafkajs';
import { charge } from './helper';
const consumer = new Kafka({ clientId: 'c', brokers: ['b'] }).consumer({ groupId: 'g' });
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await charge(String(message.value));
    },
  });
}
`;

describe('scheduling', () => {
  it('an edit re-analyses and republishes only what changed', async () => {
    const dir = folder('ws-schedule', {
      'src/helper.ts': HELPER,
      'src/reaches.ts': REACHES_HELPER,
      'src/other.ts': GOOD_CONSUMER,
    });
    const client = new LspClient();
    const files = ['helper', 'reaches', 'other'].map((name) => path.join(dir, 'src', `${name}.ts`));
    const [helper, reaches, other] = files;
    try {
      await client.initialize(dir);
      for (const file of files) {
        const published = client.waitForDiagnostics(file);
        await client.open(file, fs.readFileSync(file, 'utf8'));
        await published;
      }
      const settle = () => new Promise((resolve) => setTimeout(resolve, 500));
      await settle();
      let before = files.map((file) => client.publications(file));
      const added = () => files.map((file, index) => client.publications(file) - before[index]);

      // An edit to the unrelated consumer: one notification, for it.
      let published = client.waitForDiagnostics(other);
      await client.change(other, `${GOOD_CONSUMER}\n// edited\n`);
      await published;
      await settle();
      assert.deepEqual(added(), [0, 0, 1]);
      before = files.map((file) => client.publications(file));

      // An edit to the helper that changes nothing for the consumer reaching it: the helper only.
      published = client.waitForDiagnostics(helper);
      await client.change(helper, `${HELPER}\nexport const unrelated = 1;\n`);
      await published;
      await settle();
      assert.deepEqual(added(), [1, 0, 0]);
      before = files.map((file) => client.publications(file));

      // An edit to the helper that makes its effect idempotent: the consumer's finding goes away.
      const gone = client.waitForDiagnostics(reaches, (params) => params.diagnostics.length === 0);
      await client.change(helper, HELPER.replace("method: 'POST'", "method: 'PUT'"));
      await gone;
      await settle();
      assert.deepEqual(added(), [1, 1, 0]);
    } finally {
      await client.shutdown();
    }
  });
});

describe('a large handler under typing', () => {
  it('grown by 120 quick edits to 30 branches with nested trys, it answers hover and catches up', async () => {
    // Issue 12 measured 36 s for a hover and 39 s to catch up on a handler grown to 29 ifs.
    const dir = folder('ws-large-handler', {});
    const file = path.join(dir, 'consumer.ts');
    const head = GOOD_CONSUMER.split('\n').slice(0, 5).join('\n');
    const tail = '    },\n  });\n}\n';
    const branch = (index: number): string =>
      `      if (message.headers?.f${index}) {\n` +
      `        try {\n          await fetch('https://svc.example/${index}', { method: 'POST' });\n` +
      `        } catch (error) {\n          if (${index} % 2) throw error;\n        }\n      }\n`;
    const client = new LspClient();
    try {
      await client.initialize(dir);
      await client.open(file, `${head}\n${tail}`);
      // Typed one branch in four keystrokes each (a partial line, then the rest), with no pause.
      let body = '';
      for (let index = 0; index < 30; index++) {
        const whole = branch(index);
        for (const cut of [8, whole.length >> 1, whole.length - 3, whole.length])
          await client.change(file, `${head}\n${body}${whole.slice(0, cut)}${tail}`);
        body += whole;
      }
      const text = `${head}\n${body}${tail}`;
      assert.ok(text.split('\n').length > 200, 'a large handler');
      const hover = await client.hover(file, 5, 8);
      assert.ok(hover, 'hover answers on the latest version');
      // Hover waited for the analysis of the latest version, which published its diagnostics first.
      const latest = client.latestPublication(file);
      assert.equal(latest?.version, client.versionOf(file), 'the last publication is for the last version');
      const diagnostics = latest?.diagnostics ?? [];
      assert.ok(
        diagnostics.some((diagnostic) => diagnostic.code === 'missing-event-id-check'),
        'the unguarded POSTs are reported on the last version',
      );
    } finally {
      await client.shutdown();
    }
  });
});
