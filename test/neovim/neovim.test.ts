/**
 * A real third-party LSP client: Neovim's built-in one (0.7, as Debian 12 ships it) starts
 * dist/server.js over stdio for a file of a temporary workspace, with no plugins and no user
 * config, and test/neovim/check.lua writes what `vim.diagnostic.get()` then holds as JSON.
 *
 * Neovim is required: when `nvim` is missing these tests fail (CI installs it with
 * .ci/install-e2e.sh); they are never skipped.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

const REPO = path.resolve(__dirname, '..', '..');
const SERVER = path.join(REPO, 'dist', 'server.js');
const CHECK_LUA = path.join(__dirname, 'check.lua');
/** How long check.lua waits for each set of diagnostics. */
const WAIT_MS = 20_000;
/** How long one nvim run may take before it is killed. */
const RUN_LIMIT_MS = 60_000;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
  },
  include: ['src'],
};

/** kafkajs, no dedup check, charges Stripe: missing-event-id-check on the handler. */
const KAFKA_CONSUMER = `import { Kafka } from 'kafkajs';
import Stripe from 'stripe';

const stripe = new Stripe('sk_test_123');
const kafka = new Kafka({ clientId: 'billing', brokers: ['localhost:9092'] });
const consumer = kafka.consumer({ groupId: 'billing' });

export async function startBilling(): Promise<void> {
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders.placed' });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const order = JSON.parse(String(message.value));
      await stripe.charges.create({ amount: order.amountCents, currency: 'usd', customer: order.customerId });
    },
  });
}
`;

/** amqplib, acks before sendMail: ack-before-process on the ack. */
const AMQP_CONSUMER = `import amqp from 'amqplib';
import nodemailer from 'nodemailer';

const transporter = nodemailer.createTransport({ host: 'localhost', port: 25 });

export async function startMailer(): Promise<void> {
  const connection = await amqp.connect('amqp://localhost');
  const channel = await connection.createChannel();
  await channel.assertQueue('invoices', { durable: true });
  await channel.consume('invoices', async (msg) => {
    if (msg === null) return;
    channel.ack(msg);
    await transporter.sendMail({ to: 'billing@example.test', subject: 'Invoice', text: String(msg.content) });
  });
}
`;

/** What check.lua writes. */
interface NvimDiagnostic {
  lnum: number;
  col: number;
  end_lnum: number;
  end_col: number;
  severity: number;
  severity_name: string;
  code?: string;
  source?: string;
  message: string;
  lsp?: {
    codeDescription?: { href: string };
    relatedInformation?: { location: { uri: string; range: { start: { line: number } } }; message: string }[];
  };
}

interface CheckResult {
  ok: boolean;
  nvim?: string;
  file?: string;
  error?: string;
  total_ms: number;
  events: { name: string; ms: number }[] | Record<string, never>;
  publishes: { ms: number; version: number | null; count: number }[] | Record<string, never>;
  diagnostics?: NvimDiagnostic[] | Record<string, never>;
  edit_version?: number;
  after_edit?: NvimDiagnostic[] | Record<string, never>;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  result: CheckResult | undefined;
  lspLog: string;
  ms: number;
}

let nvimVersion: string | undefined;
let nvimProblem: string | undefined;

/** Fails the calling test, with what to do, when Neovim is not there. */
function requireNvim(): void {
  if (nvimProblem) assert.fail(nvimProblem);
}

/** Lua's JSON encoder writes an empty list as `{}`. */
function list<T>(value: T[] | Record<string, never> | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value)
    ? value
    : Object.keys(value).length === 0
      ? []
      : assert.fail(`not a list: ${JSON.stringify(value)}`);
}

function position(text: string, needle: string): { line: number; col: number } {
  const offset = text.indexOf(needle);
  assert.ok(offset >= 0, `fixture contains ${needle}`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, col: before[before.length - 1].length };
}

describe('Neovim 0.7 built-in LSP client (nvim --headless)', () => {
  let temp: string;
  let workspace: string;
  let runs = 0;

  before(() => {
    const probe = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      nvimProblem =
        'Neovim (nvim) is not installed or does not run' +
        (probe.error ? ` (${probe.error.message})` : ` (exit ${probe.status}: ${probe.stderr.trim()})`) +
        ': these tests need it. Run `bash .ci/install-e2e.sh` (or `apt-get install -y neovim`).';
    } else {
      nvimVersion = /NVIM v(\S+)/.exec(probe.stdout)?.[1] ?? probe.stdout.split('\n')[0];
    }
    if (!fs.existsSync(SERVER)) nvimProblem ??= `${SERVER} is missing: run \`npm run build\` first.`;

    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-nvim-'));
    workspace = path.join(temp, 'workspace');
    fs.mkdirSync(path.join(workspace, 'src'), { recursive: true });
    fs.writeFileSync(path.join(workspace, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    fs.writeFileSync(path.join(workspace, 'src', 'charge.consumer.ts'), KAFKA_CONSUMER);
    fs.writeFileSync(path.join(workspace, 'src', 'mail.consumer.ts'), AMQP_CONSUMER);
  });

  after(() => {
    if (temp && !process.env.DELIVERY_LINT_KEEP_TEMP) fs.rmSync(temp, { recursive: true, force: true });
  });

  /** Runs check.lua on one file of the workspace in a fresh nvim with its own HOME and XDG dirs. */
  async function runNvim(relativeFile: string, extraEnv: Record<string, string> = {}): Promise<Run> {
    const home = path.join(temp, `home-${++runs}`);
    const dirs = {
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, 'config'),
      XDG_DATA_HOME: path.join(home, 'data'),
      XDG_STATE_HOME: path.join(home, 'state'),
      XDG_CACHE_HOME: path.join(home, 'cache'),
    };
    for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
    const out = path.join(home, 'result.json');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...dirs,
      NVIM_LOG_FILE: path.join(home, 'nvim.log'),
      DL_NODE: process.execPath,
      DL_SERVER: SERVER,
      DL_ROOT: workspace,
      DL_OUT: out,
      DL_TIMEOUT_MS: String(WAIT_MS),
      ...extraEnv,
    };
    // Not inside another Neovim's terminal, and no user init.
    for (const name of ['NVIM', 'NVIM_LISTEN_ADDRESS', 'VIMINIT', 'MYVIMRC', 'NVIM_APPNAME']) delete env[name];

    const started = Date.now();
    const child = spawn(
      'nvim',
      [
        '--headless',
        '-u',
        'NONE',
        '-i',
        'NONE',
        '-n',
        '-c',
        `luafile ${CHECK_LUA.replace(/[\\ ]/g, '\\$&')}`,
        relativeFile,
      ],
      { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
    });
    clearTimeout(killer);
    const result = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as CheckResult) : undefined;
    const logFile = path.join(dirs.XDG_CACHE_HOME, 'nvim', 'lsp.log');
    const lspLog = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    return { code, signal, stdout, stderr, result, lspLog, ms: Date.now() - started };
  }

  /** Everything needed to see why a run failed. */
  function explain(run: Run): string {
    return [
      `nvim exited with ${run.code ?? run.signal} after ${run.ms} ms`,
      `result: ${JSON.stringify(run.result, null, 2)}`,
      run.stdout && `stdout: ${run.stdout}`,
      run.stderr && `stderr: ${run.stderr}`,
      run.lspLog && `lsp.log: ${run.lspLog.slice(-4000)}`,
    ]
      .filter(Boolean)
      .join('\n');
  }

  function succeeded(run: Run): CheckResult {
    assert.equal(run.code, 0, explain(run));
    assert.ok(run.result?.ok, explain(run));
    return run.result;
  }

  test('Neovim is installed', () => {
    requireNvim();
    assert.ok(nvimVersion);
    assert.ok(
      /^0\.([7-9]|\d{2,})\.|^[1-9]/.test(nvimVersion),
      `Neovim ${nvimVersion} has vim.lsp.start_client and vim.diagnostic (0.7 or newer)`,
    );
  });

  test('kafkajs consumer charging Stripe without a dedup check: missing-event-id-check warning', async () => {
    requireNvim();
    const run = await runNvim('src/charge.consumer.ts');
    const result = succeeded(run);
    assert.equal(result.file, fs.realpathSync(path.join(workspace, 'src', 'charge.consumer.ts')));
    const diagnostics = list(result.diagnostics);
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['missing-event-id-check'],
      explain(run),
    );
    const [finding] = diagnostics;
    const head = position(KAFKA_CONSUMER, 'async ({ message })');
    assert.equal(finding.severity_name, 'WARN');
    assert.equal(finding.severity, 2);
    assert.equal(finding.source, 'delivery-lint');
    assert.deepEqual({ line: finding.lnum, col: finding.col }, head, 'reported on the handler head');
    assert.match(
      finding.message,
      /^No dedup check before a duplicate-unsafe effect: a redelivered message repeats it\. kafkajs consumer of topic 'orders\.placed' has no check on the message identity before Stripe charges\.create\./,
    );
    assert.match(finding.message, /charges the customer a second time/);
    assert.match(finding.lsp?.codeDescription?.href ?? '', /docs\/rules\/missing-event-id-check\.md$/);
    const charge = position(KAFKA_CONSUMER, 'stripe.charges.create');
    assert.ok(
      finding.lsp?.relatedInformation?.some(
        (related) =>
          related.location.range.start.line === charge.line && /Stripe charges\.create/.test(related.message),
      ),
      `related location on the charge: ${JSON.stringify(finding.lsp?.relatedInformation)}`,
    );
  });

  test('amqplib consumer acking before sendMail: ack-before-process error; after an incremental edit moves the ack, missing-event-id-check', async () => {
    requireNvim();
    const lines = AMQP_CONSUMER.split('\n');
    const ack = position(AMQP_CONSUMER, 'channel.ack(msg)');
    assert.match(lines[ack.line + 1], /sendMail/);
    // Swap the ack and the sendMail line: Neovim sends this as an incremental didChange.
    const edit = { start: ack.line, end: ack.line + 2, lines: [lines[ack.line + 1], lines[ack.line]] };
    const run = await runNvim('src/mail.consumer.ts', { DL_EDIT: JSON.stringify(edit) });
    const result = succeeded(run);
    const diagnostics = list(result.diagnostics);
    assert.deepEqual(
      diagnostics.map((d) => d.code),
      ['ack-before-process'],
      explain(run),
    );
    const [finding] = diagnostics;
    assert.equal(finding.severity_name, 'ERROR');
    assert.equal(finding.severity, 1);
    assert.equal(finding.source, 'delivery-lint');
    assert.deepEqual({ line: finding.lnum, col: finding.col }, ack, 'reported on the ack');
    assert.equal(finding.end_col - finding.col, 'channel.ack(msg)'.length);
    assert.match(
      finding.message,
      /^Acked before the processing completed: a crash or failure after the ack loses the message\. amqplib consumer of queue 'invoices': channel\.ack\(\) settles the message before sendMail \(email\) has completed/,
    );
    assert.match(finding.lsp?.codeDescription?.href ?? '', /docs\/rules\/ack-before-process\.md$/);

    assert.ok(typeof result.edit_version === 'number' && result.edit_version > 0, explain(run));
    assert.ok(
      list(result.publishes).some((publish) => publish.version === result.edit_version),
      explain(run),
    );
    // Acked after sendMail, the message is redelivered on failure, so the email needs a dedup
    // check: the server saw the edited text when the finding moves to the handler head and its
    // related location to sendMail's new line.
    const afterEdit = list(result.after_edit);
    assert.deepEqual(
      afterEdit.map((d) => d.code),
      ['missing-event-id-check'],
      `after the edit:\n${explain(run)}`,
    );
    assert.deepEqual({ line: afterEdit[0].lnum, col: afterEdit[0].col }, position(AMQP_CONSUMER, 'async (msg)'));
    assert.ok(
      afterEdit[0].lsp?.relatedInformation?.some(
        (related) => related.location.range.start.line === ack.line && /sendMail/.test(related.message),
      ),
      `related location on sendMail, now on line ${ack.line + 1}: ${JSON.stringify(afterEdit[0].lsp?.relatedInformation)}`,
    );
  });
});
