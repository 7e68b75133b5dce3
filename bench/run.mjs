#!/usr/bin/env node
// `npm run bench`: times delivery-lint against `tsc --noEmit` on a generated 3,500-file project.
//
//   node bench/run.mjs [--runs N] [--skip-generate] [--regenerate]
//   (env BENCH_CLI=path/to/cli.js measures another build of the CLI)
//
// Each run measures, one after the other:
//   (a) the CLI:       node dist/cli.js bench/.generated/project --format json
//   (b) the compiler:  node node_modules/typescript/bin/tsc --noEmit -p bench/.generated/project/tsconfig.json
//   (c) a text prefilter baseline (in this process): read every file and keep those that import
//       kafkajs, amqplib or sqs-consumer.
// (a) and (b) run as child processes under `node --require bench/peak-rss.cjs`, which records
// each child's peak RSS. The table shows the median of the runs; bench/.generated/results.json has
// every sample. The target is CLI time <= 0.25 x tsc time. This is a measurement: it exits 0 whether
// or not the target is met (2 only for bad arguments or a missing project with --skip-generate).

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_OUT, DEFAULT_SCALE, DEFAULT_SEED, GENERATOR_VERSION, MANIFEST_NAME, generate } from './generate.mjs';

const TARGET_RATIO = 0.25;
const CHILD_TIMEOUT_MS = 20 * 60 * 1000;

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(benchDir);
const projectDir = DEFAULT_OUT;
const projectRel = relative(root, projectDir);
const generatedDir = dirname(projectDir);
const scratchDir = join(generatedDir, 'tmp');
const resultsPath = join(generatedDir, 'results.json');
// BENCH_CLI points at another build of the CLI (to compare two builds, say).
const cliPath = process.env.BENCH_CLI ? resolve(process.env.BENCH_CLI) : join(root, 'dist', 'cli.js');
const tscPath = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const peakRssPreload = join(benchDir, 'peak-rss.cjs');
const BROKER_IMPORT =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](?:kafkajs|amqplib|sqs-consumer)['"]/m;

function usage(message) {
  if (message) console.error(`bench: ${message}`);
  (message ? console.error : console.log)('usage: node bench/run.mjs [--runs N] [--skip-generate] [--regenerate]');
  process.exit(message ? 2 : 0);
}

function parseArgs(argv) {
  const opts = { runs: 1, skipGenerate: false, regenerate: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--runs' || arg.startsWith('--runs=')) {
      const raw = arg.includes('=') ? arg.slice('--runs='.length) : argv[++i];
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1) usage(`--runs needs a positive integer, got ${raw}`);
      opts.runs = n;
    } else if (arg === '--skip-generate') opts.skipGenerate = true;
    else if (arg === '--regenerate') opts.regenerate = true;
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument ${arg}`);
  }
  if (opts.skipGenerate && opts.regenerate) usage('--skip-generate and --regenerate contradict each other');
  return opts;
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(join(projectDir, MANIFEST_NAME), 'utf8'));
  } catch {
    return undefined;
  }
}

function ensureProject(opts) {
  const manifest = readManifest();
  const current =
    manifest &&
    manifest.generatorVersion === GENERATOR_VERSION &&
    manifest.seed === DEFAULT_SEED &&
    manifest.scale === DEFAULT_SCALE;
  if (opts.skipGenerate) {
    if (!manifest) usage(`--skip-generate, but ${projectRel} has not been generated (run without --skip-generate)`);
    if (!current)
      console.log(
        `note: ${projectRel} comes from generator version ${manifest.generatorVersion}, not ${GENERATOR_VERSION}; using it anyway (--skip-generate)`,
      );
    return manifest;
  }
  if (current && !opts.regenerate) return manifest;
  const why = opts.regenerate
    ? 'regenerating (--regenerate)'
    : manifest
      ? `generator changed (version ${manifest.generatorVersion} -> ${GENERATOR_VERSION})`
      : 'no generated project yet';
  console.log(`${why}: generating ${projectRel} ...`);
  return generate({ out: projectDir });
}

/** Runs `node --require peak-rss.cjs ...args` from the repository root; returns time, peak RSS and output. */
function measureChild(label, args, run) {
  mkdirSync(scratchDir, { recursive: true });
  const base = join(scratchDir, `${label}-${run}`);
  const rssFile = `${base}.rss`;
  const stdoutFile = `${base}.stdout`;
  const stderrFile = `${base}.stderr`;
  rmSync(rssFile, { force: true });
  rmSync(`${rssFile}.cpu`, { force: true });
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const started = performance.now();
  let result;
  try {
    result = spawnSync(process.execPath, ['--require', peakRssPreload, ...args], {
      cwd: root,
      env: { ...process.env, BENCH_PEAK_RSS_FILE: rssFile },
      stdio: ['ignore', out, err],
      timeout: CHILD_TIMEOUT_MS,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const seconds = (performance.now() - started) / 1000;
  const peakKb = readNumberFile(rssFile);
  return {
    seconds,
    cpuSeconds: readNumberFile(`${rssFile}.cpu`),
    peakMb: peakKb === undefined ? undefined : peakKb / 1024,
    exitCode: result.status,
    signal: result.signal ?? undefined,
    spawnError: result.error ? String(result.error.message ?? result.error) : undefined,
    stdout: readFileSync(stdoutFile, 'utf8'),
    stderr: readFileSync(stderrFile, 'utf8'),
  };
}

function readNumberFile(path) {
  try {
    const value = Number(readFileSync(path, 'utf8'));
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the CLI's JSON report without assuming one exact shape. */
function summarizeCliJson(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    const start = text.indexOf('{');
    const end = text.lastIndexOf('}');
    try {
      data = start >= 0 && end > start ? JSON.parse(text.slice(start, end + 1)) : undefined;
    } catch {
      data = undefined;
    }
  }
  if (data === undefined || data === null || typeof data !== 'object') {
    return { parseError: `stdout is not JSON (${text.length} bytes: ${JSON.stringify(text.slice(0, 120))})` };
  }
  let findings;
  if (Array.isArray(data)) {
    findings = data.some((x) => x && Array.isArray(x.messages)) ? data.flatMap((x) => x.messages ?? []) : data;
  } else if (Array.isArray(data.findings)) findings = data.findings;
  else if (Array.isArray(data.results)) findings = data.results.flatMap((x) => x.findings ?? x.messages ?? []);
  const summary = (!Array.isArray(data) && (data.summary ?? data.stats)) || {};
  const findingsCount = findings?.length ?? num(summary.findings) ?? num(summary.total) ?? num(data.findingCount);
  const filesCount =
    (Array.isArray(data.filesLinted) ? data.filesLinted.length : num(data.filesLinted)) ??
    num(summary.filesLinted) ??
    num(summary.files) ??
    num(summary.filesAnalyzed) ??
    num(data.filesAnalyzed) ??
    (Array.isArray(data) && data.some((x) => x && Array.isArray(x.messages)) ? data.length : undefined);
  const consumersCount =
    (Array.isArray(data.consumers) ? data.consumers.length : num(data.consumers)) ?? num(summary.consumers);
  const byRule = {};
  for (const f of findings ?? []) {
    const rule = f?.ruleId ?? f?.rule ?? 'unknown';
    byRule[rule] = (byRule[rule] ?? 0) + 1;
  }
  return {
    findings: findingsCount,
    files: filesCount,
    consumers: consumersCount,
    byRule: findings ? byRule : undefined,
  };
}

function num(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * What one run of a command measured, and what the CLI's JSON said.
 * @typedef {object} Sample
 * @property {number} [seconds]
 * @property {number} [cpuSeconds]
 * @property {number} [peakMb]
 * @property {number | null} [exitCode]
 * @property {number} [typeErrors]
 * @property {string} [skipped]
 * @property {string} [error]
 * @property {string} [parseError]
 * @property {string} [stderrTail]
 * @property {number} [findings]
 * @property {number} [files]
 * @property {number} [consumers]
 * @property {Record<string, number>} [byRule]
 */

/** @returns {Sample} */
function runCli(run) {
  if (!existsSync(cliPath)) {
    return {
      skipped: `${relative(root, cliPath)} not found: the CLI has not been built yet (npm run build bundles server/src/cli/main.ts)`,
    };
  }
  const m = measureChild('cli', [cliPath, projectRel, '--format', 'json'], run);
  /** @type {Sample} */
  const sample = { seconds: m.seconds, cpuSeconds: m.cpuSeconds, peakMb: m.peakMb, exitCode: m.exitCode };
  if (m.spawnError || m.signal || (m.exitCode !== 0 && m.exitCode !== 1)) {
    sample.error = m.spawnError ?? (m.signal ? `killed by ${m.signal}` : `exit code ${m.exitCode}`);
    sample.stderrTail = tail(m.stderr || m.stdout);
    return sample;
  }
  Object.assign(sample, summarizeCliJson(m.stdout));
  if (sample.parseError) sample.stderrTail = tail(m.stderr);
  return sample;
}

/** @returns {Sample} */
function runTsc(run) {
  const m = measureChild('tsc', [tscPath, '--noEmit', '-p', join(projectRel, 'tsconfig.json')], run);
  const errors = (m.stdout.match(/error TS\d+/g) ?? []).length;
  /** @type {Sample} */
  const sample = {
    seconds: m.seconds,
    cpuSeconds: m.cpuSeconds,
    peakMb: m.peakMb,
    exitCode: m.exitCode,
    typeErrors: errors,
  };
  if (m.spawnError || m.signal || m.exitCode !== 0) {
    sample.error =
      m.spawnError ?? (m.signal ? `killed by ${m.signal}` : `exit code ${m.exitCode}, ${errors} type errors`);
    sample.stderrTail = tail(m.stdout + m.stderr);
  }
  return sample;
}

function runPrefilter() {
  const started = performance.now();
  let scanned = 0;
  const matches = [];
  const stack = [projectDir];
  while (stack.length > 0) {
    const dir = /** @type {string} */ (stack.pop());
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) stack.push(path);
      } else if (/\.(?:[cm]?ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        scanned++;
        if (BROKER_IMPORT.test(readFileSync(path, 'utf8'))) matches.push(path);
      }
    }
  }
  return { seconds: (performance.now() - started) / 1000, filesScanned: scanned, filesMatched: matches.length };
}

function tail(text, lines = 15) {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

const fmt = (value, digits = 2) => (value === undefined ? 'n/a' : value.toFixed(digits));

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const manifest = ensureProject(opts);
  const cpuCount = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  console.log(
    `project: ${projectRel}: ${manifest.tsFiles} .ts files, ${manifest.lines.toLocaleString('en-US')} lines, ${manifest.consumers.length} consumers, ${manifest.brokerFiles.length} files importing a broker (generator v${manifest.generatorVersion})`,
  );
  const loadBefore = loadavg()[0];
  console.log(
    `machine: node ${process.version}, ${cpuCount} cpus, load average ${loadBefore.toFixed(2)}; ${opts.runs} run(s)`,
  );
  if (loadBefore > cpuCount / 2)
    console.log(
      `note: the machine is busy (load average ${loadBefore.toFixed(2)} on ${cpuCount} cpus); timings will be inflated`,
    );
  console.log('');

  /** @type {{ cli: Sample[]; tsc: Sample[]; prefilter: ReturnType<typeof runPrefilter>[] }} */
  const samples = { cli: [], tsc: [], prefilter: [] };
  let cliSkipped;
  for (let run = 1; run <= opts.runs; run++) {
    const prefix = opts.runs > 1 ? `[run ${run}/${opts.runs}] ` : '';
    const cli = runCli(run);
    if (cli.skipped) {
      cliSkipped = cli.skipped;
      if (run === 1) console.log(`${prefix}CLI: skipped: ${cli.skipped}`);
    } else {
      samples.cli.push(cli);
      console.log(
        `${prefix}CLI: ${fmt(cli.seconds)} s (cpu ${fmt(cli.cpuSeconds)} s), peak ${fmt(cli.peakMb, 0)} MB, exit ${cli.exitCode}${cli.error ? `: FAILED (${cli.error})` : cli.parseError ? `: ${cli.parseError}` : `, ${cli.findings ?? '?'} findings`}`,
      );
      if (cli.stderrTail) console.log(indent(cli.stderrTail));
    }
    const tsc = runTsc(run);
    samples.tsc.push(tsc);
    console.log(
      `${prefix}tsc --noEmit: ${fmt(tsc.seconds)} s (cpu ${fmt(tsc.cpuSeconds)} s), peak ${fmt(tsc.peakMb, 0)} MB${tsc.error ? `: ${tsc.error}` : ''}`,
    );
    if (tsc.stderrTail) console.log(indent(tsc.stderrTail));
    const prefilter = runPrefilter();
    samples.prefilter.push(prefilter);
    console.log(
      `${prefix}prefilter: ${fmt(prefilter.seconds, 3)} s, ${prefilter.filesMatched} of ${prefilter.filesScanned} files import a broker`,
    );
  }

  const cliOk = samples.cli.filter((s) => !s.error);
  const cliFailed = samples.cli.length > 0 && cliOk.length === 0;
  const cliSeconds = median(cliOk.map((s) => s.seconds));
  const tscSeconds = median(samples.tsc.map((s) => s.seconds));
  const ratio = cliSeconds !== undefined && tscSeconds ? cliSeconds / tscSeconds : undefined;
  const last = cliOk[cliOk.length - 1];
  const byRule =
    last?.byRule && Object.keys(last.byRule).length
      ? Object.entries(last.byRule)
          .sort((a, b) => b[1] - a[1])
          .map(([r, n]) => `${r} ${n}`)
          .join(', ')
      : undefined;
  const prefilterLast = samples.prefilter[samples.prefilter.length - 1];

  const rows = [
    ['CLI time (s)', cliSkipped ? 'n/a (not built)' : cliFailed ? 'n/a (failed)' : fmt(cliSeconds)],
    ['tsc --noEmit time (s)', fmt(tscSeconds)],
    ['ratio CLI/tsc', ratio === undefined ? 'n/a' : `${fmt(ratio, 3)} (target <= ${TARGET_RATIO})`],
    [
      'CPU time CLI / tsc (s)',
      `${fmt(median(cliOk.map((s) => s.cpuSeconds)))} / ${fmt(median(samples.tsc.map((s) => s.cpuSeconds)))} (user+sys; steadier than wall time on a busy machine)`,
    ],
    ['CLI peak RSS (MB)', fmt(median(cliOk.map((s) => s.peakMb)), 0)],
    ['tsc peak RSS (MB)', fmt(median(samples.tsc.map((s) => s.peakMb)), 0)],
    [
      'prefilter time (s)',
      `${fmt(median(samples.prefilter.map((s) => s.seconds)), 3)} (${prefilterLast.filesMatched} of ${prefilterLast.filesScanned} files import a broker)`,
    ],
    ['files', `${manifest.tsFiles} in project${last?.files !== undefined ? `; CLI reports ${last.files}` : ''}`],
    [
      'consumers',
      `${manifest.consumers.length} generated${last?.consumers !== undefined ? `; CLI found ${last.consumers}` : ''}`,
    ],
    ['findings', last ? `${last.findings ?? 'n/a'}${byRule ? ` (${byRule})` : ''}` : 'n/a'],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${'metric'.padEnd(width)}  ${opts.runs > 1 ? `median of ${opts.runs}` : 'value'}`);
  console.log(`${'-'.repeat(width)}  ${'-'.repeat(24)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);

  const targetMet = ratio !== undefined && ratio <= TARGET_RATIO;
  let verdict;
  if (targetMet) verdict = `target met: CLI takes ${fmt(ratio, 3)} x tsc (<= ${TARGET_RATIO})`;
  else if (cliSkipped) verdict = `target missed: no CLI measurement (${relative(root, cliPath)} not built yet)`;
  else if (cliFailed) verdict = 'target missed: the CLI failed on every run';
  else verdict = `target missed: CLI takes ${fmt(ratio, 3)} x tsc (> ${TARGET_RATIO})`;
  const tscErrors = samples.tsc.find((s) => (s.typeErrors ?? 0) > 0 || s.error);
  if (tscErrors)
    console.log(
      `\nwarning: tsc did not pass cleanly on the generated project (${tscErrors.error}); the generator has a bug`,
    );
  if (tscSeconds !== undefined && (tscSeconds < 15 || tscSeconds > 30))
    console.log(
      `\nnote: tsc took ${fmt(tscSeconds)} s, outside the 15-30 s the project is sized for on a 2-core machine`,
    );
  console.log(`\n${verdict}`);

  const results = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpuCount,
    loadAverage: { before: loadBefore, after: loadavg()[0] },
    runs: opts.runs,
    target: { ratio: TARGET_RATIO, met: targetMet, verdict },
    project: {
      path: projectRel,
      generatorVersion: manifest.generatorVersion,
      seed: manifest.seed,
      scale: manifest.scale,
      tsFiles: manifest.tsFiles,
      lines: manifest.lines,
      consumers: manifest.consumers.length,
      brokerFiles: manifest.brokerFiles.length,
    },
    cli: cliSkipped
      ? { skipped: cliSkipped }
      : {
          seconds: cliSeconds,
          cpuSeconds: median(cliOk.map((s) => s.cpuSeconds)),
          peakMb: median(cliOk.map((s) => s.peakMb)),
          findings: last?.findings,
          files: last?.files,
          consumers: last?.consumers,
          byRule: last?.byRule,
          samples: samples.cli,
        },
    tsc: {
      seconds: tscSeconds,
      cpuSeconds: median(samples.tsc.map((s) => s.cpuSeconds)),
      peakMb: median(samples.tsc.map((s) => s.peakMb)),
      samples: samples.tsc,
    },
    prefilter: {
      seconds: median(samples.prefilter.map((s) => s.seconds)),
      filesScanned: prefilterLast.filesScanned,
      filesMatched: prefilterLast.filesMatched,
      samples: samples.prefilter,
    },
    ratio,
  };
  writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
  console.log(`results written to ${relative(root, resultsPath)}`);
}

function indent(text) {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

main();
