/**
 * Real VS Code: code-server 4.100.3 (VS Code 1.100.3 in the browser), driven by headless Chromium
 * through playwright-core.
 *
 * 1. The extension-host suite (test/vscode/suite.ts → dist/test/suite.js) runs inside code-server's
 *    extension host with the extension loaded from the repository, via the URL payload
 *    (extensionDevelopmentPath + extensionTestsPath), on a temporary copy of examples/. It writes
 *    its checks to a JSON file, which this test reads: a failing run() is no exit code here.
 * 2. The packaged extension: `npm run package` in a temporary copy of the repository (so the
 *    repository's dist/ keeps its development build), `code-server --install-extension` of that
 *    .vsix, then the UI: the ack-before-process squiggle in invoice-email.consumer.ts, the
 *    Problems panel, the status bar; the hover of the Kafka consumer naming the file of an effect
 *    in another file; its code lens refreshed when only that other file changes on disk; a broken
 *    delivery-lint.config.json turning the status bar to a warning with a notification whose
 *    button opens the file. A screenshot of each.
 *
 * code-server and Chromium are required: when they are missing these tests fail, with what to
 * run (.ci/install-e2e.sh installs both, code-server through .ci/install-code-server.sh, into
 * $DELIVERY_LINT_CODE_SERVER_DIR or ~/.cache/delivery-lint/code-server). They are never skipped.
 * One code-server at a time, on a free 127.0.0.1 port, with auth none and HOME, XDG dirs, user
 * data and extensions in a temporary folder; it is stopped by the PID of its top-level node
 * process (then anything it left behind, by PID), and Chromium is closed, in the after hook.
 * DELIVERY_LINT_KEEP_TEMP=1 keeps the temporary folder (logs, result JSON) for a post-mortem.
 */
import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import type { SuiteResult } from './suite';

const REPO = path.resolve(__dirname, '..', '..');
const CODE_SERVER_VERSION = '4.100.3';
const VSCODE_VERSION = '1.100.3';
const CODE_SERVER_DIR =
  process.env.DELIVERY_LINT_CODE_SERVER_DIR ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'delivery-lint', 'code-server');
const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const CHROMIUM = process.env.DELIVERY_LINT_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
const EXTENSION_ID = 'delivery-lint.delivery-lint';
const SUITE = path.join(REPO, 'dist', 'test', 'suite.js');
const INVOICE_EMAIL = 'src/rabbit/invoice-email.consumer.ts';
/** Screenshots: a stable path under the OS temp dir (printed), copied to test-results/. */
const SCREENSHOT_DIR = path.join(os.tmpdir(), 'delivery-lint-e2e');

/** The DOM elements the page's editor is read through (the Node-side types have no DOM). */
interface BrowserElement {
  textContent: string | null;
  getBoundingClientRect(): { top: number; bottom: number };
}
const RESULTS_DIR = path.join(REPO, 'test-results');

const SERVER_START_MS = 60_000;
const SUITE_TIMEOUT_MS = 120_000;
const WORKBENCH_MS = 60_000;
const SQUIGGLE_MS = 60_000;

/** Console errors that come from this machine being offline, not from the extension. */
const OFFLINE_NOISE = [
  /open-vsx\.org/,
  /ERR_NAME_NOT_RESOLVED/,
  /ERR_INTERNET_DISCONNECTED/,
  /Failed to load resource: the server responded with a status of 404/,
];

let setupProblem: string | undefined;

/** Fails the calling test, with what to do, when code-server, Chromium or the build is missing. */
function requireSetup(): void {
  if (setupProblem) assert.fail(setupProblem);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  interval = 250,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(interval);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Child PIDs by parent PID, from /proc. */
function processTree(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

function descendants(pid: number): number[] {
  const tree = processTree();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of tree.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function elapsed(started: number): string {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

interface Captured {
  code: number | null;
  output: string;
}

function runCommand(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Captured> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The file names in a .zip (.vsix), from its central directory. */
function zipEntries(file: string): string[] {
  const zip = fs.readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, `${file} is not a zip file`);
  const count = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

class CodeServer {
  readonly child: ChildProcess;
  readonly logFile: string;
  private log = '';
  private exited = false;

  private constructor(
    readonly port: number,
    readonly extensionsDir: string,
    env: NodeJS.ProcessEnv,
    temp: string,
    userDataDir: string,
  ) {
    const config = path.join(temp, `config-${port}.yaml`);
    fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
    this.logFile = path.join(temp, `code-server-${port}.log`);
    const args = [
      CODE_SERVER_ENTRY,
      '--config',
      config,
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
    ];
    // The top-level node process itself (no shell in between), so its PID is the one to stop.
    this.child = spawn(process.execPath, args, { cwd: temp, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk: Buffer) => {
      this.log += chunk.toString();
      fs.appendFileSync(this.logFile, chunk);
    };
    this.child.stdout!.on('data', append);
    this.child.stderr!.on('data', append);
    this.child.on('exit', () => (this.exited = true));
  }

  static async start(
    temp: string,
    env: NodeJS.ProcessEnv,
    userDataDir: string,
    extensionsDir: string,
  ): Promise<CodeServer> {
    const server = new CodeServer(await freePort(), extensionsDir, env, temp, userDataDir);
    try {
      await until(
        'code-server /healthz',
        async () => {
          if (server.exited) throw new Error('exited');
          return (await fetch(`${server.origin}/healthz`)).ok;
        },
        SERVER_START_MS,
      );
    } catch (error) {
      await server.stop();
      throw new Error(
        `code-server did not come up on port ${server.port} (${(error as Error).message}); exited: ${server.exited}. Its output:\n${tail(server.output)}`,
      );
    }
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The authority code-server's workbench uses for files on the server. */
  remote(file: string): string {
    return `vscode-remote://127.0.0.1:${this.port}${file}`;
  }

  get output(): string {
    return this.log;
  }

  /** SIGTERM to the top-level node process; after 5 s, SIGKILL to whatever of its tree is left. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return;
    const tree = descendants(pid);
    this.child.kill('SIGTERM');
    await until('code-server to exit', () => this.exited, 5_000, 100).catch(() => this.child.kill('SIGKILL'));
    await until('its child processes to exit', () => !tree.some(alive), 3_000, 100).catch(() => undefined);
    for (const leftover of tree.filter(alive)) {
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  /** Synchronous last resort for process exit. */
  killNow(): void {
    const pid = this.child.pid;
    if (pid === undefined || this.exited) return;
    for (const leftover of [pid, ...descendants(pid)]) {
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

interface ConsoleLine {
  type: string;
  text: string;
}

function watchConsole(page: Page): ConsoleLine[] {
  const lines: ConsoleLine[] = [];
  page.on('console', (message) => lines.push({ type: message.type(), text: message.text() }));
  page.on('pageerror', (error) => lines.push({ type: 'pageerror', text: error.stack ?? error.message }));
  page.on('response', (response) => {
    if (response.status() >= 400)
      lines.push({ type: 'http', text: `${response.status()} ${response.request().method()} ${response.url()}` });
  });
  return lines;
}

function consoleErrors(lines: ConsoleLine[]): string[] {
  return lines
    .filter(
      (line) =>
        (line.type === 'error' || line.type === 'pageerror') && !OFFLINE_NOISE.some((noise) => noise.test(line.text)),
    )
    .map((line) => line.text);
}

/** Errors that name the extension, or have a stack through its bundles (a rejected run() is one). */
function extensionErrors(lines: ConsoleLine[]): string[] {
  const bundles = `${path.join(REPO, 'dist')}${path.sep}`;
  return consoleErrors(lines).filter((text) => /delivery-?lint|deliveryLint/i.test(text) || text.includes(bundles));
}

function saveScreenshot(t: TestContext, source: string, name: string): string {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const target = path.join(SCREENSHOT_DIR, name);
  fs.copyFileSync(source, target);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.copyFileSync(source, path.join(RESULTS_DIR, name));
  t.diagnostic(`screenshot: ${target} (also test-results/${name})`);
  return target;
}

describe(`VS Code ${VSCODE_VERSION} (code-server ${CODE_SERVER_VERSION}) in headless Chromium`, () => {
  let temp: string;
  let env: NodeJS.ProcessEnv;
  let server: CodeServer | undefined;
  let browserServer: BrowserServer | undefined;
  let browser: Browser | undefined;

  const killEverything = () => {
    server?.killNow();
    const pid = browserServer?.process().pid;
    if (pid === undefined || !alive(pid)) return;
    for (const leftover of [pid, ...descendants(pid)]) {
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };

  before(async () => {
    const problems: string[] = [];
    const install =
      'Run `bash .ci/install-e2e.sh` (it installs Chromium and, through .ci/install-code-server.sh, code-server).';
    let version: string | undefined;
    try {
      version = (
        JSON.parse(
          fs.readFileSync(path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'package.json'), 'utf8'),
        ) as { version: string }
      ).version;
    } catch {
      // not installed
    }
    if (version !== CODE_SERVER_VERSION || !fs.existsSync(CODE_SERVER_ENTRY)) {
      problems.push(
        `code-server ${CODE_SERVER_VERSION} is not installed in ${CODE_SERVER_DIR} (${version ? `found ${version}` : 'not found'}): these tests need it. ${install}`,
      );
    }
    if (!fs.existsSync(CHROMIUM))
      problems.push(`Chromium is not installed at ${CHROMIUM}: these tests need it. ${install}`);
    for (const built of ['dist/extension.js', 'dist/server.js', 'dist/test/suite.js']) {
      if (!fs.existsSync(path.join(REPO, built))) problems.push(`${built} is missing: run \`npm run build\` first.`);
    }
    if (problems.length) {
      setupProblem = problems.join('\n');
      return;
    }

    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-code-server-'));
    const home = path.join(temp, 'home');
    const dirs = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      XDG_DATA_HOME: path.join(home, 'data'),
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_CACHE_HOME: path.join(home, 'cache'),
    };
    for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
    env = { ...process.env, ...dirs };
    // Nothing of an enclosing VS Code, test runner or Node option leaks into code-server.
    for (const name of Object.keys(env))
      if (
        name.startsWith('VSCODE_') ||
        name === 'ELECTRON_RUN_AS_NODE' ||
        name === 'NODE_TEST_CONTEXT' ||
        name === 'NODE_OPTIONS'
      )
        delete env[name];
    process.on('exit', killEverything);

    const started = Date.now();
    // launchServer rather than launch: its process() gives Chromium's PID, to kill it by.
    browserServer = await chromium.launchServer({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    browser = await chromium.connect(browserServer.wsEndpoint());
    console.log(`Chromium ${browser.version()} (PID ${browserServer.process().pid}) started in ${elapsed(started)}`);
  });

  after(async () => {
    const stopping: Promise<unknown>[] = [];
    if (browser)
      stopping.push(
        Promise.race([browser.close(), sleep(5_000)]).then(
          () => browserServer && Promise.race([browserServer.close(), sleep(5_000)]),
        ),
      );
    if (server) stopping.push(server.stop());
    await Promise.all(stopping);
    // Whatever did not close: Chromium's process, code-server's tree.
    killEverything();
    process.off('exit', killEverything);
    server = undefined;
    browser = undefined;
    browserServer = undefined;
    if (temp && !process.env.DELIVERY_LINT_KEEP_TEMP) fs.rmSync(temp, { recursive: true, force: true });
    else if (temp) console.log(`kept ${temp}`);
  });

  test('extension-host suite (test/vscode/suite.ts) passes inside code-server with the extension from the repository', async (t) => {
    requireSetup();
    const started = Date.now();
    const workspace = path.join(temp, 'suite-workspace');
    fs.cpSync(path.join(REPO, 'examples'), workspace, { recursive: true });
    const resultFile = path.join(temp, 'suite-result.json');
    const fallbackResult = path.join(workspace, '.delivery-lint-e2e-result.json');
    server = await CodeServer.start(
      temp,
      { ...env, DELIVERY_LINT_E2E_RESULT: resultFile },
      path.join(temp, 'user-data'),
      path.join(temp, 'extensions'),
    );
    t.diagnostic(`code-server up on ${server.origin} in ${elapsed(started)}`);

    const payload = [
      ['extensionDevelopmentPath', server.remote(REPO)],
      ['extensionTestsPath', server.remote(SUITE)],
    ];
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    const lines = watchConsole(page);
    const read = (): SuiteResult | undefined => {
      for (const file of [resultFile, fallbackResult])
        if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as SuiteResult;
      return undefined;
    };
    let result: SuiteResult | undefined;
    try {
      await page.goto(
        `${server.origin}/?${new URLSearchParams({ folder: workspace, payload: JSON.stringify(payload) }).toString()}`,
        { waitUntil: 'domcontentloaded' },
      );
      await page.waitForSelector('.monaco-workbench', { timeout: WORKBENCH_MS });
      t.diagnostic(`workbench loaded after ${elapsed(started)}`);
      result = await until(
        'the suite to finish (done: true in its result JSON)',
        () => {
          const current = read();
          return current?.done ? current : undefined;
        },
        SUITE_TIMEOUT_MS,
        500,
      );
      t.diagnostic(`suite finished after ${elapsed(started)}`);
      const shot = path.join(temp, 'suite.png');
      await page.screenshot({ path: shot });
      saveScreenshot(t, shot, 'code-server-suite.png');
    } catch (error) {
      const partial = read();
      assert.fail(
        [
          `${(error as Error).message}`,
          `result so far: ${JSON.stringify(partial, null, 2)}`,
          `browser console errors:\n${consoleErrors(lines).slice(-20).join('\n')}`,
          `code-server output:\n${tail(server.output)}`,
        ].join('\n'),
      );
    } finally {
      fs.writeFileSync(
        path.join(temp, 'console-suite.log'),
        lines.map((line) => `[${line.type}] ${line.text}`).join('\n'),
      );
      await page.close().catch(() => undefined);
      await server.stop();
      server = undefined;
    }

    assert.equal(result.vscodeVersion, VSCODE_VERSION, 'ran in code-server’s VS Code');
    assert.equal(result.uiKind, 'web');
    assert.equal(result.extension?.id, EXTENSION_ID);
    assert.equal(
      result.extension?.path,
      REPO,
      'the extension was loaded from the repository (extensionDevelopmentPath)',
    );
    assert.ok(result.checks.length >= 10, `all checks ran: ${result.checks.map((check) => check.name).join(', ')}`);
    for (const check of result.checks) {
      // A check that did not run because one it needs failed is reported as skipped; the failed
      // one fails this test.
      await t.test(check.name, { skip: check.skipped ? check.error : false }, () => {
        assert.ok(check.pass, `${check.error}\n${check.details ? JSON.stringify(check.details, null, 2) : ''}`);
      });
    }
    const failed = result.checks.filter((check) => !check.pass);
    assert.deepEqual(
      failed.map((check) => check.name),
      [],
      'every check of the suite passed',
    );
    // A failing run() is logged to the browser console too: nothing of the kind, and no other
    // error from the extension or its extension host.
    assert.deepEqual(extensionErrors(lines), [], 'no browser console errors from the extension host or the extension');
    t.diagnostic(`checks: ${result.checks.map((check) => `${check.name} ${check.ms} ms`).join('; ')}`);
  });

  test('the packaged .vsix, installed with --install-extension: squiggle, Problems panel, status bar, hover file names, refreshed lens, config error', async (t) => {
    requireSetup();
    const started = Date.now();

    // `npm run package` rebuilds dist/ in production mode: run it in a copy of the repository
    // (sharing node_modules), so the repository keeps its development build (dist/test/suite.js).
    const copy = path.join(temp, 'package');
    fs.mkdirSync(copy);
    const skip = new Set(['node_modules', '.git', 'dist', 'out', '.tmp', 'test-results', 'examples', 'test', 'bench']);
    for (const entry of fs.readdirSync(REPO)) {
      if (skip.has(entry) || entry.endsWith('.vsix')) continue;
      fs.cpSync(path.join(REPO, entry), path.join(copy, entry), { recursive: true });
    }
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    const packaged = await runCommand('npm', ['run', 'package'], {
      cwd: copy,
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
      timeoutMs: 120_000,
    });
    assert.equal(packaged.code, 0, `npm run package failed:\n${tail(packaged.output)}`);
    const vsix = path.join(copy, 'delivery-lint.vsix');
    assert.ok(fs.existsSync(vsix), `npm run package wrote no ${vsix}:\n${tail(packaged.output)}`);
    const entries = zipEntries(vsix);
    for (const needed of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/server.js'])
      assert.ok(entries.includes(needed), `${needed} is in the .vsix: ${entries.join(', ')}`);
    assert.deepEqual(
      entries.filter(
        (entry) =>
          /^extension\/(dist\/test|test|examples|node_modules|server\/src|client\/src)\//.test(entry) ||
          entry.endsWith('.map'),
      ),
      [],
      'no tests, sources, maps or node_modules in the .vsix',
    );
    t.diagnostic(
      `npm run package: ${elapsed(started)}, ${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB, ${entries.length} files`,
    );

    const installStarted = Date.now();
    const extensionsDir = path.join(temp, 'extensions-vsix');
    const userDataDir = path.join(temp, 'user-data-vsix');
    const installed = await runCommand(
      process.execPath,
      [
        CODE_SERVER_ENTRY,
        '--user-data-dir',
        userDataDir,
        '--extensions-dir',
        extensionsDir,
        '--install-extension',
        vsix,
      ],
      { cwd: temp, env, timeoutMs: 60_000 },
    );
    assert.equal(installed.code, 0, `code-server --install-extension failed:\n${installed.output}`);
    assert.match(installed.output, /was successfully installed/, installed.output);
    const folders = fs.readdirSync(extensionsDir).filter((entry) => entry.startsWith(`${EXTENSION_ID}-`));
    assert.equal(
      folders.length,
      1,
      `one ${EXTENSION_ID} folder in ${extensionsDir}: ${fs.readdirSync(extensionsDir).join(', ')}`,
    );
    t.diagnostic(`--install-extension: ${elapsed(installStarted)} (${folders[0]})`);

    const workspace = path.join(temp, 'vsix-workspace');
    fs.cpSync(path.join(REPO, 'examples'), workspace, { recursive: true });
    const uiStarted = Date.now();
    server = await CodeServer.start(temp, env, userDataDir, extensionsDir);
    const page = await browser!.newPage({ viewport: { width: 1400, height: 900 } });
    const lines = watchConsole(page);
    const shot = path.join(temp, 'vsix.png');
    try {
      const payload = [['openFile', server.remote(path.join(workspace, INVOICE_EMAIL))]];
      await page.goto(
        `${server.origin}/?${new URLSearchParams({ folder: workspace, payload: JSON.stringify(payload) }).toString()}`,
        { waitUntil: 'domcontentloaded' },
      );
      await page.waitForSelector('.monaco-workbench', { timeout: WORKBENCH_MS });
      await page.waitForSelector('.monaco-editor .squiggly-error', { timeout: SQUIGGLE_MS });
      // TypeScript's own errors (the copy has no node_modules) may come first: wait for the one on
      // line 20, channel.ack(msg), matching squiggles to line numbers by their height.
      let squiggleLines: (number | undefined)[] = [];
      await until(
        'an error squiggle on line 20',
        async () => {
          const lineNumbers = await page
            .locator('.monaco-editor .margin-view-overlays .line-numbers')
            .evaluateAll((elements: BrowserElement[]) =>
              elements.map((element) => {
                const box = element.getBoundingClientRect();
                return { line: Number(element.textContent), top: box.top, bottom: box.bottom };
              }),
            );
          const squiggles = await page
            .locator('.monaco-editor .squiggly-error')
            .evaluateAll((elements: BrowserElement[]) =>
              elements.map((element) => element.getBoundingClientRect().top),
            );
          squiggleLines = squiggles.map(
            (top) => lineNumbers.find((number) => top + 1 >= number.top && top < number.bottom)?.line,
          );
          return squiggleLines.includes(20);
        },
        SQUIGGLE_MS,
        500,
      ).catch((error: Error) => assert.fail(`${error.message} (squiggles on lines ${JSON.stringify(squiggleLines)})`));
      t.diagnostic(`error squiggle on line 20 after ${elapsed(uiStarted)}`);

      // Problems panel (Ctrl+Shift+M), with the editor focused.
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+Shift+M');
      const markers = page.locator('.markers-panel');
      await markers.waitFor({ state: 'visible', timeout: 15_000 });
      const problems = await until(
        'ack-before-process in the Problems panel',
        async () => {
          const text = await markers.innerText();
          return text.includes('ack-before-process') ? text : undefined;
        },
        30_000,
      );
      assert.match(problems, /channel\.ack\(\) settles the message before sendMail \(email\) has completed/);
      assert.match(problems, /delivery-lint/);
      assert.match(problems, /\[Ln 20, Col 5\]/);

      const status = await until(
        'the delivery-lint status bar item to report the consumer',
        async () => {
          const texts = await page.locator('.statusbar-item').allInnerTexts();
          return texts.find((text) => /delivery-lint: \d+ consumers?/.test(text));
        },
        30_000,
      );
      t.diagnostic(`status bar: ${status.trim()}`);
      await sleep(500);
      await page.screenshot({ path: shot });
      saveScreenshot(t, shot, 'code-server-vsix-problems.png');

      // The Kafka consumer: its hover names the file of each effect in another file.
      await page.keyboard.press('Escape');
      await page.keyboard.press('Control+P');
      await page.keyboard.type('order-placed.consumer.ts');
      await sleep(700);
      await page.keyboard.press('Enter');
      const handlerLine = page.locator('.monaco-editor .view-line', { hasText: 'eachMessage: async' }).first();
      await handlerLine.waitFor({ state: 'visible', timeout: 30_000 });
      await until(
        'the missing-event-id-check squiggle in order-placed.consumer.ts',
        async () => (await page.locator('.monaco-editor .squiggly-warning').count()) > 0,
        SQUIGGLE_MS,
        500,
      );
      const hoverText = await until(
        'a delivery-lint hover that names billing.ts',
        async () => {
          const box = await handlerLine.boundingBox();
          if (!box) return undefined;
          await page.mouse.move(box.x + 40, box.y + box.height / 2);
          await sleep(300);
          await page.mouse.move(box.x + 48, box.y + box.height / 2);
          const hover = page.locator('.monaco-hover:visible').first();
          await hover.waitFor({ state: 'visible', timeout: 4_000 });
          const text = await hover.innerText();
          return text.includes('delivery-lint') && /billing\.ts:\d+/.test(text) ? text : undefined;
        },
        45_000,
        500,
      );
      assert.match(hoverText, /Stripe charges\.create \(\S*billing\.ts:\d+/, 'the effect names its file');
      assert.match(hoverText, /More: the crash timeline/);
      t.diagnostic(`hover: ${hoverText.replace(/\s+/g, ' ').slice(0, 300)}`);
      await page.screenshot({ path: shot });
      saveScreenshot(t, shot, 'code-server-vsix-hover.png');
      await page.mouse.move(5, 5);
      await page.keyboard.press('Escape');

      // The code lens follows the diagnostics: billing.ts (not open) is changed on disk so the
      // consumer's effects become idempotent; the consumer's document does not change, so only a
      // refresh from the server (workspace/codeLens/refresh) brings the new lens.
      const lensText = async () =>
        (await page.locator('.monaco-editor .codelens-decoration').allInnerTexts()).join(' | ');
      await until(
        "the code lens 'no dedup check'",
        async () => ((await lensText()).includes('no dedup check') ? true : undefined),
        30_000,
        500,
      );
      const billing = path.join(workspace, 'src/services/billing.ts');
      const idempotent = fs
        .readFileSync(billing, 'utf8')
        .replace(
          'metadata: { orderId: order.orderId },\n  });',
          'metadata: { orderId: order.orderId },\n  }, { idempotencyKey: `charge-${order.orderId}` });',
        )
        .replace(
          'return prisma.invoice.create({\n    data: {',
          'return prisma.invoice.upsert({\n    where: { orderId: order.orderId },\n    update: {},\n    create: {',
        );
      assert.notEqual(idempotent, fs.readFileSync(billing, 'utf8'), 'billing.ts was rewritten');
      fs.writeFileSync(billing, idempotent);
      const refreshed = await until(
        'the code lens to say the effects are safe, without the consumer file changing',
        async () => {
          const text = await lensText();
          return text.includes('no unsafe effects') ? text : undefined;
        },
        45_000,
        500,
      ).catch(async (error: Error) => assert.fail(`${error.message}; lens: ${await lensText()}`));
      t.diagnostic(`refreshed lens: ${refreshed}`);
      await page.screenshot({ path: shot });
      saveScreenshot(t, shot, 'code-server-vsix-lens-refreshed.png');

      // An unusable delivery-lint.config.json: the status bar turns to a warning, a notification
      // gives the error with a button that opens the file, the last valid config stays in use.
      const configFile = path.join(workspace, 'delivery-lint.config.json');
      fs.writeFileSync(configFile, '{ "rules": { "ack-before-process": "warn" } }\n');
      await sleep(2_000);
      fs.writeFileSync(configFile, '{ "rules": { "ack-before-process": "warn", } }\n');
      const warning = await until(
        "the status bar's config warning",
        async () => {
          const texts = await page.locator('.statusbar-item').allInnerTexts();
          return texts.find((text) => /delivery-lint: config error/.test(text));
        },
        45_000,
        500,
      );
      t.diagnostic(`status bar: ${warning.trim()}`);
      const toast = page.locator('.notification-toast', { hasText: 'delivery-lint' }).first();
      await toast.waitFor({ state: 'visible', timeout: 30_000 });
      const toastText = await toast.innerText();
      assert.match(toastText, /invalid JSON/);
      assert.match(toastText, /Using the last valid configuration until the file is fixed/);
      await page.screenshot({ path: shot });
      saveScreenshot(t, shot, 'code-server-vsix-config-error.png');
      await toast.locator('.monaco-button', { hasText: 'Open delivery-lint.config.json' }).click();
      await until(
        'delivery-lint.config.json open in the active editor tab',
        async () => {
          const active = await page.locator('.tab.active').allInnerTexts();
          return active.some((text) => text.includes('delivery-lint.config.json')) ? true : undefined;
        },
        15_000,
        250,
      );
      await sleep(500);
      await page.screenshot({ path: shot });
      saveScreenshot(t, shot, 'code-server-vsix-config-opened.png');
      t.diagnostic(`UI checks done after ${elapsed(uiStarted)}`);
      assert.deepEqual(
        extensionErrors(lines),
        [],
        'no browser console errors from the extension host or the extension',
      );
    } catch (error) {
      await page
        .screenshot({ path: shot })
        .then(() => saveScreenshot(t, shot, 'code-server-vsix-failure.png'))
        .catch(() => undefined);
      throw new Error(
        `${(error as Error).message}\nbrowser console errors:\n${consoleErrors(lines).slice(-20).join('\n')}\ncode-server output:\n${tail(server.output)}`,
        { cause: error },
      );
    } finally {
      fs.writeFileSync(
        path.join(temp, 'console-vsix.log'),
        lines.map((line) => `[${line.type}] ${line.text}`).join('\n'),
      );
      await page.close().catch(() => undefined);
      await server.stop();
      server = undefined;
    }
  });
});
