/**
 * Language-server latency on the generated bench project, over a real stdio connection:
 * cold open to first diagnostics, the first edit after load, 50 edits to a consumer file
 * (median, p95), edits to a helper file that the consumer reaches (its diagnostics must update),
 * and the server's memory. Run by `npm run bench` after the CLI benchmark.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LspClient } from '../test/lsp/client';

const ROOT = path.resolve(__dirname, '..');
const PROJECT = path.join(ROOT, 'bench/.generated/project');
const EDITS = 50;
const HELPER_EDITS = 20;
const TARGETS = { median: 50, p95: 150, firstEdit: 500, helperP95: 300, firstDiagnostics: 3000 };

interface ExplainedConsumer {
  registration: { location: { filePath: string } };
  effects: { location: { filePath: string }; chain: unknown[]; description: { class: string } }[];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function memoryMb(pid: number | undefined): { rss: number; peak: number } {
  const status = pid ? fs.readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  const read = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: read('VmRSS'), peak: read('VmHWM') };
}

/** A consumer file with an unsafe effect in a helper file, found through the CLI's --explain. */
function pickFiles(): { consumer: string; helper: string } {
  const run = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli.js'), PROJECT, '--format', 'json', '--explain'], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  const { consumers } = JSON.parse(run.stdout) as { consumers: ExplainedConsumer[] };
  for (const consumer of consumers) {
    const helperEffect = consumer.effects.find(
      (effect) => effect.chain.length > 0 && effect.location.filePath !== consumer.registration.location.filePath,
    );
    if (helperEffect)
      return { consumer: consumer.registration.location.filePath, helper: helperEffect.location.filePath };
  }
  throw new Error('no consumer with an effect in a helper file in the bench project');
}

/** The server's log line for an analysed slice of open files that holds at least one consumer. */
const REANALYSED_CONSUMER = /^analysed \d+ open files? in \d+ ms: [1-9]\d* consumers?/;

/** Waits for a log line after the first `from` that matches `pattern`. */
async function waitForLog(client: LspClient, from: number, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!client.logs.slice(from).some((line) => pattern.test(line))) {
    if (performance.now() > deadline)
      throw new Error(
        `no log line matching ${pattern} within ${timeoutMs} ms; logs:\n${client.logs.slice(from).join('\n')}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function timeEdit(client: LspClient, changed: string, watched: string, text: string): Promise<number> {
  const start = performance.now();
  const version = await client.change(changed, text);
  await client.waitForDiagnostics(watched, (params) => changed !== watched || params.version === version);
  return performance.now() - start;
}

async function main(): Promise<void> {
  if (!fs.existsSync(PROJECT)) throw new Error('bench/.generated/project is missing: run node bench/run.mjs first');
  const { consumer, helper } = pickFiles();
  const consumerText = fs.readFileSync(consumer, 'utf8');
  const helperText = fs.readFileSync(helper, 'utf8');
  const client = new LspClient();
  try {
    await client.initialize(PROJECT);
    let start = performance.now();
    const first = client.waitForDiagnostics(consumer);
    await client.open(consumer, consumerText);
    await first;
    const firstDiagnostics = performance.now() - start;

    // An edit that changes the handler's body: a statement added at the end of the file.
    const edited = (n: number) => `${consumerText}\nexport const benchEdit${n % 2} = ${n};\n`;
    const firstEdit = await timeEdit(client, consumer, consumer, edited(0));
    const edits: number[] = [];
    for (let n = 1; n <= EDITS; n++)
      edits.push(await timeEdit(client, consumer, consumer, n % 2 ? consumerText : edited(n)));

    await client.open(helper, helperText);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const helperEdits: number[] = [];
    for (let n = 1; n <= HELPER_EDITS; n++) {
      const text = n % 2 ? `${helperText}\nexport const helperEdit = ${n};\n` : helperText;
      start = performance.now();
      const logged = client.logs.length;
      await client.change(helper, text);
      // The consumer is analysed again for the new state of the helper. Its diagnostics are the
      // same, and the server publishes only diagnostics that changed, so the analysis's log line
      // (a slice of open files with the consumer in it) is what says it is done.
      await waitForLog(client, logged, REANALYSED_CONSUMER);
      helperEdits.push(performance.now() - start);
    }
    const memory = memoryMb(client.pid);
    const results = {
      consumerFile: path.relative(ROOT, consumer),
      helperFile: path.relative(ROOT, helper),
      firstDiagnosticsMs: Math.round(firstDiagnostics),
      firstEditMs: Math.round(firstEdit),
      editMedianMs: Math.round(percentile(edits, 50)),
      editP95Ms: Math.round(percentile(edits, 95)),
      helperEditMedianMs: Math.round(percentile(helperEdits, 50)),
      helperEditP95Ms: Math.round(percentile(helperEdits, 95)),
      serverRssMb: Math.round(memory.rss),
      serverPeakMb: Math.round(memory.peak),
    };
    const verdicts = [
      ['first diagnostics (cold open)', results.firstDiagnosticsMs, TARGETS.firstDiagnostics],
      ['first edit after load', results.firstEditMs, TARGETS.firstEdit],
      [`consumer edit, median of ${EDITS}`, results.editMedianMs, TARGETS.median],
      [`consumer edit, p95 of ${EDITS}`, results.editP95Ms, TARGETS.p95],
      [`helper edit, p95 of ${HELPER_EDITS}`, results.helperEditP95Ms, TARGETS.helperP95],
    ] as const;
    console.log(`\nLanguage server on ${path.relative(ROOT, PROJECT)} (didChange → publishDiagnostics)`);
    for (const [label, value, target] of verdicts)
      console.log(
        `  ${label.padEnd(34)} ${String(value).padStart(6)} ms   target ≤ ${target} ms  ${value <= target ? 'met' : 'MISSED'}`,
      );
    console.log(`  helper edit, median                ${String(results.helperEditMedianMs).padStart(6)} ms`);
    console.log(`  server memory                      ${results.serverRssMb} MB RSS, ${results.serverPeakMb} MB peak`);
    fs.writeFileSync(path.join(ROOT, 'bench/.generated/lsp-results.json'), JSON.stringify(results, null, 2));
  } finally {
    await client.shutdown();
  }
}

main().catch((error) => {
  console.error(`bench/lsp: ${(error as Error).message}`);
  process.exitCode = 1;
});
