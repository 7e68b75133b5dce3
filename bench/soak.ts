/**
 * `npm run soak [-- <minutes>]` (default 30): the language server under a long session of edits,
 * over a real stdio connection, on a copy of examples/.
 *
 * Every open consumer and helper file is edited at random, at typing speed and in bursts: a
 * character typed or deleted, a statement pasted, half-typed code, a line removed, the file
 * restored; now and then a hover, code actions or a code lens is asked for, a file is closed and
 * opened again. Every few seconds the edits pause and each open file must catch up: its latest
 * diagnostics must be for its current version. Checked throughout:
 *
 * - no death: the server process stays up and keeps answering;
 * - no stale publication: a file's diagnostics never go back to an older version than one already
 *   published, and after each pause every file shows its current version;
 * - no upward RSS trend: RSS is sampled every 5 s; the slope over the run after its first tenth
 *   (least squares, MB per hour) and the median of its last quarter against its second are printed.
 *
 * Exits 1 when the server died or published stale diagnostics; the figures go in the issue note.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LspClient } from '../test/lsp/client';
import { HALF_TYPED, seeded } from '../test/helpers/seeded';
import { MEMORY_REQUEST, type MemoryReport } from '../server/src/lsp/protocol';

const ROOT = path.resolve(__dirname, '..');
const MINUTES = Number(process.argv[2] ?? process.env.SOAK_MINUTES ?? 30);
const SAMPLE_MS = 5_000;
const PAUSE_EVERY_MS = 20_000;

const SNIPPETS = [
  "await fetch('https://x.example/hook', { method: 'POST' });\n",
  'if (Math.random() > 0.5) return;\n',
  'try {\n  await Promise.resolve();\n} catch (error) {\n  console.error(error);\n}\n',
  'for (const item of [1, 2, 3]) {\n  if (item > 1) continue;\n}\n',
  'const seen = new Set<string>();\n',
  "throw new Error('bad');\n",
  '// a comment\n',
  ...HALF_TYPED,
];

function rssMb(pid: number | undefined): number {
  const status = pid ? fs.readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(values: number[]): number {
  return percentile(values, 50);
}

/** Least-squares slope of y over x. */
function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((sum, p) => sum + p.x, 0) / n;
  const my = points.reduce((sum, p) => sum + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den ? num / den : 0;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function copyExamples(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-soak-'));
  fs.cpSync(path.join(ROOT, 'examples'), dir, {
    recursive: true,
    filter: (source) => !source.includes('node_modules'),
  });
  return dir;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ts$/.test(entry.name)) out.push(full);
    }
  };
  walk(path.join(dir, 'src'));
  return out.sort();
}

async function main(): Promise<void> {
  const dir = copyExamples();
  const files = sourceFiles(dir);
  const originals = new Map(files.map((file) => [file, fs.readFileSync(file, 'utf8')]));
  const texts = new Map(originals);
  const next = seeded(12);
  const client = new LspClient(process.env.SOAK_SERVER || undefined);
  /** The highest version published per file, to catch a publication going back. */
  const highest = new Map<string, number>();
  let stale = 0;
  const staleExamples: string[] = [];
  const uriToFile = new Map(files.map((file) => [client.uri(file), file]));
  const open = new Set<string>();
  const rss: { x: number; y: number }[] = [];
  const heap: { x: number; y: number }[] = [];
  let nextHeap = 0;
  const hoverTimes: number[] = [];
  const catchUpTimes: number[] = [];
  let edits = 0;
  let requests = 0;
  let catchUpFailures = 0;
  let pauses = 0;
  try {
    await client.initialize(dir);
    client.onPublish((params) => {
      const file = uriToFile.get(params.uri);
      if (!file || params.version === undefined) return;
      const before = highest.get(file) ?? 0;
      if (params.version < before) {
        stale++;
        if (staleExamples.length < 5) staleExamples.push(`${path.basename(file)}: v${params.version} after v${before}`);
      }
      highest.set(file, Math.max(before, params.version));
    });
    for (const file of files) {
      const published = client.waitForDiagnostics(file, undefined, 60_000);
      await client.open(file, texts.get(file)!);
      await published;
      open.add(file);
    }
    const started = Date.now();
    const deadline = started + MINUTES * 60_000;
    let nextSample = started;
    let nextPause = started + PAUSE_EVERY_MS;
    while (Date.now() < deadline) {
      if (client.exited) break;
      const now = Date.now();
      if (now >= nextSample) {
        rss.push({ x: (now - started) / 3_600_000, y: rssMb(client.pid) });
        nextSample += SAMPLE_MS;
        if (process.env.SOAK_PROGRESS)
          fs.appendFileSync(
            process.env.SOAK_PROGRESS,
            `${Math.round((now - started) / 1000)} s: RSS ${Math.round(rss[rss.length - 1].y)} MB, edits ${edits}, heap ${heap[heap.length - 1]?.y ?? '?'} MB\n`,
          );
        if (now >= nextHeap) {
          // The live heap after a full collection: what the server really keeps.
          const memory = await client.request<MemoryReport>(MEMORY_REQUEST, {}).catch(() => undefined);
          if (memory) heap.push({ x: (now - started) / 3_600_000, y: memory.heapUsedMb });
          nextHeap = now + 60_000;
        }
      }
      if (now >= nextPause) {
        // Quiet: every open file must catch up to its current version.
        pauses++;
        const begin = performance.now();
        const results = await Promise.allSettled(
          [...open].map((file) =>
            client.latestPublication(file)?.version === client.versionOf(file)
              ? Promise.resolve()
              : client.waitForDiagnostics(file, undefined, 30_000),
          ),
        );
        catchUpTimes.push(performance.now() - begin);
        catchUpFailures += results.filter((result) => result.status === 'rejected').length;
        nextPause = Date.now() + PAUSE_EVERY_MS;
        continue;
      }
      const file = files[Math.floor(next() * files.length)];
      const roll = next();
      if (!open.has(file)) {
        await client.open(file, texts.get(file)!);
        open.add(file);
        continue;
      }
      if (roll < 0.02) {
        await client.close(file);
        open.delete(file);
        highest.delete(file); // versions start again when it is opened again
        continue;
      }
      if (roll < 0.08) {
        requests++;
        const text = texts.get(file)!;
        const lines = text.split('\n');
        const line = Math.floor(next() * lines.length);
        const begin = performance.now();
        const kind = next();
        try {
          if (kind < 0.5) await client.hover(file, line, Math.floor(next() * (lines[line].length + 1)));
          else if (kind < 0.8) await client.codeLens(file);
          else
            await client.connection.sendRequest('textDocument/codeAction', {
              textDocument: { uri: client.uri(file) },
              range: { start: { line, character: 0 }, end: { line, character: 0 } },
              context: { diagnostics: client.latestDiagnostics(file) },
            });
          hoverTimes.push(performance.now() - begin);
        } catch {
          /* a request may fail on half-typed code; the server must still be alive */
        }
        continue;
      }
      let text = texts.get(file)!;
      if (roll < 0.12) text = originals.get(file)!;
      else {
        const at = Math.floor(next() * (text.length + 1));
        const what = next();
        if (what < 0.45)
          text = text.slice(0, at) + 'abcdefghijklmnopqrstuvwxyz;(){} '[Math.floor(next() * 32)] + text.slice(at);
        else if (what < 0.7) text = text.slice(0, Math.max(0, at - 1)) + text.slice(at);
        else if (what < 0.9) text = text.slice(0, at) + SNIPPETS[Math.floor(next() * SNIPPETS.length)] + text.slice(at);
        else {
          const lines = text.split('\n');
          lines.splice(Math.floor(next() * lines.length), 1);
          text = lines.join('\n');
        }
        // Keep files from drifting too far: beyond twice their size, start over.
        if (text.length > originals.get(file)!.length * 2) text = originals.get(file)!;
      }
      texts.set(file, text);
      await client.change(file, text);
      edits++;
      // Typing speed, with bursts.
      await sleep(next() < 0.7 ? 20 + next() * 60 : 150 + next() * 400);
    }
  } finally {
    const alive = !client.exited;
    const afterWarmUp = rss.filter((point) => point.x >= (MINUTES / 60) * 0.1);
    const quarter = Math.max(1, Math.floor(afterWarmUp.length / 4));
    const secondQuarter = afterWarmUp.slice(quarter, 2 * quarter).map((point) => point.y);
    const lastQuarter = afterWarmUp.slice(-quarter).map((point) => point.y);
    const mbPerHour = slope(afterWarmUp);
    console.log(
      `\nSoak: ${MINUTES} min on a copy of examples/ (${files.length} files), load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`,
    );
    console.log(`  edits ${edits}, requests ${requests}, quiet points ${pauses}`);
    console.log(`  server alive at the end: ${alive ? 'yes' : 'NO'}`);
    console.log(`  stale publications: ${stale}${staleExamples.length ? ` (${staleExamples.join('; ')})` : ''}`);
    console.log(`  files not caught up at a quiet point: ${catchUpFailures}`);
    console.log(
      `  catch-up at a quiet point p50 / p95: ${Math.round(median(catchUpTimes))} / ${Math.round(percentile(catchUpTimes, 95))} ms`,
    );
    console.log(
      `  request p50 / p95: ${Math.round(median(hoverTimes))} / ${Math.round(percentile(hoverTimes, 95))} ms`,
    );
    console.log(
      `  RSS first / min / max / last: ${Math.round(rss[0]?.y ?? 0)} / ${Math.round(Math.min(...rss.map((p) => p.y)))} / ${Math.round(Math.max(...rss.map((p) => p.y)))} / ${Math.round(rss[rss.length - 1]?.y ?? 0)} MB (${rss.length} samples)`,
    );
    console.log(
      `  RSS trend after warm-up: ${mbPerHour.toFixed(1)} MB/hour; median of the 2nd quarter ${Math.round(median(secondQuarter))} MB, of the last ${Math.round(median(lastQuarter))} MB`,
    );
    console.log(
      `  live heap after a full collection, each minute: ${heap.map((point) => Math.round(point.y)).join(', ')} MB (trend ${slope(heap.filter((point) => point.x >= (MINUTES / 60) * 0.1)).toFixed(1)} MB/hour)`,
    );
    fs.mkdirSync(path.join(__dirname, '.generated'), { recursive: true });
    fs.writeFileSync(
      path.join(__dirname, '.generated/soak-results.json'),
      JSON.stringify(
        { minutes: MINUTES, edits, requests, alive, stale, catchUpFailures, rss, heap, mbPerHour },
        null,
        2,
      ),
    );
    await client.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
    if (!alive || stale || catchUpFailures) process.exitCode = 1;
  }
}

// The event loop emptied before the report: something the session awaited can no longer happen
// (the server went away without the client noticing). Say so instead of exiting silently.
let reported = false;
process.on('beforeExit', () => {
  if (reported) return;
  reported = true;
  console.error('bench/soak: the session ended before its report: a request or a wait could not complete');
  process.exitCode = 1;
});

main()
  .then(() => (reported = true))
  .catch((error) => {
    reported = true;
    console.error(`bench/soak: ${(error as Error).stack ?? (error as Error).message}`);
    process.exitCode = 1;
  });
