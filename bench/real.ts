/**
 * `npm run bench:real -- <corpora-dir>`: speed and memory on real code, the corpora of
 * ../shared/perf (amplication, langfuse, gauzy, each made by its setup-corpus.sh).
 *
 * For each corpus, three rounds of: the CLI, `tsc --noEmit` with the project's TypeScript 6, and
 * the native TypeScript 7 compiler when one is installed (BENCH_TSC7, or typescript@7 under
 * ../tools/ts7), run one after the other so that machine load falls on all three alike; the
 * table gives medians, the ratios CLI/tsc, and peak memory. Then the language server on the same
 * corpus, in three sessions (the medians): cold open of a consumer file to its first diagnostics,
 * and didChange → diagnostics over 50 edits of consumer files (p50, p95). Then small projects:
 * the CLI on examples/ against `tsc --noEmit` on it, and `--help`.
 *
 * A measurement, not a test: it exits 0 whatever the figures (2 on bad arguments).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LspClient } from '../test/lsp/client';

const ROOT = path.resolve(__dirname, '..');
const CLI = process.env.BENCH_CLI ? path.resolve(process.env.BENCH_CLI) : path.join(ROOT, 'dist/cli.js');
const TSC6 = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EDITS = 50;
const CORPORA = ['amplication', 'langfuse', 'gauzy'] as const;
const TARGETS = { tsc6: 0.25, tsc7: 1.0, lspP50: 50, lspP95: 150, examples: 0.5, help: 0.3 };

interface Sample {
  seconds: number;
  peakMb: number;
  status: number | null;
}

function usage(message?: string): never {
  if (message) console.error(`bench:real: ${message}`);
  console.error(
    'usage: npm run bench:real -- <corpora-dir>   (a folder holding amplication/, langfuse/, gauzy/ made by ../shared/perf/setup-corpus.sh)',
  );
  process.exit(2);
}

/** The native TypeScript 7 compiler, when installed: its executable, not the Node shim that starts it. */
function findTsc7(): string | undefined {
  const candidates = [
    process.env.BENCH_TSC7,
    path.resolve(ROOT, '../tools/ts7/node_modules/@typescript/typescript-linux-x64/lib/tsc'),
  ];
  return candidates.find((candidate): candidate is string => !!candidate && fs.existsSync(candidate));
}

/** Runs a command under GNU time for its wall time and peak RSS (of the process and its children). */
function measure(command: string[], cwd: string): Sample {
  const timeFile = path.join(os.tmpdir(), `bench-real-${process.pid}.time`);
  const started = process.hrtime.bigint();
  const run = spawnSync('/usr/bin/time', ['-f', '%M', '-o', timeFile, ...command], {
    cwd,
    stdio: 'ignore',
    timeout: 20 * 60 * 1000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakKb = Number(fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop());
  fs.rmSync(timeFile, { force: true });
  return { seconds, peakMb: peakKb / 1024, status: run.status };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '—';
}

interface CompilerRow {
  name: string;
  cli: Sample[];
  tsc6: Sample[];
  tsc7: Sample[];
}

function compareCompilers(name: string, cwd: string, tsconfig: string, tsc7: string | undefined): CompilerRow {
  const row: CompilerRow = { name, cli: [], tsc6: [], tsc7: [] };
  for (let round = 0; round < ROUNDS; round++) {
    row.cli.push(measure([process.execPath, CLI, '--project', tsconfig, '.'], cwd));
    row.tsc6.push(measure([process.execPath, TSC6, '--noEmit', '-p', tsconfig], cwd));
    if (tsc7) row.tsc7.push(measure([tsc7, '--noEmit', '-p', tsconfig], cwd));
    process.stderr.write(
      `  ${name} round ${round + 1}: cli ${fmt(row.cli[round].seconds)} s, tsc6 ${fmt(row.tsc6[round].seconds)} s${tsc7 ? `, tsc7 ${fmt(row.tsc7[round].seconds)} s` : ''}\n`,
    );
  }
  return row;
}

interface ExplainedConsumer {
  registration: { location: { filePath: string } };
  handlerRange: { filePath: string };
}

/** Files holding consumers, from the CLI's own --explain output. */
function consumerFiles(cwd: string, tsconfig: string): string[] {
  const run = spawnSync(process.execPath, [CLI, '--project', tsconfig, '--format', 'json', '--explain', '.'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
  });
  const { consumers } = JSON.parse(run.stdout) as { consumers: ExplainedConsumer[] };
  return [...new Set(consumers.map((consumer) => consumer.handlerRange.filePath))];
}

interface LspRow {
  name: string;
  files: number;
  coldMs: number;
  p50: number;
  p95: number;
  rssMb: number;
}

function memoryMb(pid: number | undefined): number {
  const status = pid ? fs.readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function measureServer(name: string, cwd: string, files: string[]): Promise<LspRow | undefined> {
  if (!files.length) return undefined;
  const client = new LspClient();
  try {
    await client.initialize(cwd);
    const first = files[0];
    const started = performance.now();
    await client.open(first, fs.readFileSync(first, 'utf8'));
    await client.waitForDiagnostics(first);
    const coldMs = performance.now() - started;
    const opened = new Map<string, string>([[first, fs.readFileSync(first, 'utf8')]]);
    for (const file of files.slice(1, 10)) {
      const text = fs.readFileSync(file, 'utf8');
      await client.open(file, text);
      await client.waitForDiagnostics(file);
      opened.set(file, text);
    }
    const targets = [...opened.keys()];
    const times: number[] = [];
    for (let edit = 0; edit < EDITS; edit++) {
      const file = targets[edit % targets.length];
      const text = `${opened.get(file)}\n// edit ${edit}\n`;
      const begin = performance.now();
      const version = await client.change(file, text);
      await client.waitForDiagnostics(file, (params) => params.version === version);
      times.push(performance.now() - begin);
    }
    return {
      name,
      files: targets.length,
      coldMs,
      p50: percentile(times, 50),
      p95: percentile(times, 95),
      rssMb: memoryMb(client.pid),
    };
  } finally {
    await client.shutdown();
  }
}

/**
 * The server measured in ROUNDS sessions, each a fresh server: the row gives the medians. A p95
 * of 50 edits is decided by its three slowest, which one slow spell of the machine moves.
 */
async function measureServerRounds(name: string, cwd: string, files: string[]): Promise<LspRow | undefined> {
  const rounds: LspRow[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const row = await measureServer(name, cwd, files);
    if (!row) return undefined;
    rounds.push(row);
    process.stderr.write(
      `  ${name} server round ${round + 1}: cold ${fmt(row.coldMs, 0)} ms, p50 ${fmt(row.p50, 1)} ms, p95 ${fmt(row.p95, 1)} ms\n`,
    );
  }
  const middle = (pick: (row: LspRow) => number): number => median(rounds.map(pick));
  return {
    name,
    files: rounds[0].files,
    coldMs: middle((row) => row.coldMs),
    p50: middle((row) => row.p50),
    p95: middle((row) => row.p95),
    rssMb: middle((row) => row.rssMb),
  };
}

async function main(): Promise<void> {
  const corporaDir = process.argv[2];
  if (!corporaDir) usage();
  if (!fs.existsSync(CLI)) usage(`${CLI} not found: run npm run build first`);
  const tsc7 = findTsc7();
  const rows: CompilerRow[] = [];
  const servers: LspRow[] = [];
  for (const name of CORPORA) {
    const cwd = path.resolve(corporaDir, name);
    const tsconfig = path.join(cwd, 'tsconfig.delivery-perf.json');
    if (!fs.existsSync(tsconfig)) {
      console.error(
        `bench:real: ${tsconfig} missing; make it with ../shared/perf/setup-corpus.sh ${name} <git-dir> ${cwd}`,
      );
      continue;
    }
    rows.push(compareCompilers(name, cwd, tsconfig, tsc7));
    const server = await measureServerRounds(name, cwd, consumerFiles(cwd, tsconfig));
    if (server) servers.push(server);
  }
  const examples = path.join(ROOT, 'examples');
  const small = compareCompilers('examples', examples, path.join(examples, 'tsconfig.json'), tsc7);
  const help: number[] = [];
  for (let round = 0; round < ROUNDS; round++) help.push(measure([process.execPath, CLI, '--help'], ROOT).seconds);

  const lines: string[] = [];
  lines.push(
    `delivery-lint bench:real · ${new Date().toISOString()} · ${os.cpus().length} cores · load ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} · median of ${ROUNDS}, commands alternating`,
  );
  lines.push(
    tsc7
      ? `native TypeScript 7: ${tsc7}`
      : 'native TypeScript 7: not installed (BENCH_TSC7 or ../tools/ts7): its column is empty',
  );
  lines.push('');
  lines.push(
    '| corpus | CLI s | tsc 6 s | tsc 7 s | CLI / tsc 6 (≤ 0.25) | CLI / tsc 7 (≤ 1.0) | CLI peak MB | tsc 6 peak MB |',
  );
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const row of [...rows, small]) {
    const cli = median(row.cli.map((sample) => sample.seconds));
    const t6 = median(row.tsc6.map((sample) => sample.seconds));
    const t7 = row.tsc7.length ? median(row.tsc7.map((sample) => sample.seconds)) : NaN;
    lines.push(
      `| ${row.name} | ${fmt(cli)} | ${fmt(t6)} | ${fmt(t7)} | ${fmt(cli / t6)} | ${fmt(cli / t7)} | ${fmt(median(row.cli.map((sample) => sample.peakMb)), 0)} | ${fmt(median(row.tsc6.map((sample) => sample.peakMb)), 0)} |`,
    );
  }
  lines.push(`(examples/: target CLI ≤ ${TARGETS.examples} × tsc 6)`);
  lines.push('');
  lines.push(`server: median of ${ROUNDS} sessions (the rounds are printed above)`);
  lines.push(
    `| server | consumer files opened | cold open → diagnostics ms | didChange → diagnostics p50 ms (≤ ${TARGETS.lspP50}) | p95 ms (≤ ${TARGETS.lspP95}) | peak RSS MB |`,
  );
  lines.push('|---|---|---|---|---|---|');
  for (const row of servers)
    lines.push(
      `| ${row.name} | ${row.files} | ${fmt(row.coldMs, 0)} | ${fmt(row.p50, 1)} | ${fmt(row.p95, 1)} | ${fmt(row.rssMb, 0)} |`,
    );
  lines.push('');
  lines.push(`--help: ${fmt(median(help))} s (≤ ${TARGETS.help} s)`);
  console.log(lines.join('\n'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
