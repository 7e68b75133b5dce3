#!/usr/bin/env node
/**
 * Scores the built CLI on the labelled real-code corpus (eval/real/labels), linting each whole
 * checkout as a user would: `delivery-lint --format json --explain .` at its root, no
 * node_modules. Prints, per rule, true and false positives and misses with precision and recall;
 * the handlers whose findings are exactly the expected ones; the consumers left not fully
 * analysed; and every handler that came out wrong.
 *
 *   npm run eval:real -- <checkouts-dir> [--mirrors <dir>] [--only <owner/name>] [--json <file>] [--cli <file>]
 *
 * <checkouts-dir>/<owner>__<name> must hold each repository's pinned commit (extract.sh writes
 * it); with --mirrors, a missing checkout is extracted from the first git directory under <dir>
 * that holds the commit. Labels are written before the tool is run: see LABELLING.md.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const RULES = [
  'ack-before-process',
  'missing-event-id-check',
  'non-idempotent-handler',
  'non-atomic-dedup',
  'at-most-once-consumer',
  'swallowed-failure-ack',
  'unsettled-message',
  'double-ack',
  'producer-missing-event-id',
  'exactly-once-incomplete',
];

function parseArgs(argv) {
  const options = { checkouts: undefined, mirrors: undefined, only: undefined, json: undefined, cli: path.join(ROOT, 'dist/cli.js') };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const value = () => {
      const next = argv[++index];
      if (next === undefined) fail(`${arg} needs a value`);
      return next;
    };
    if (arg === '--mirrors') options.mirrors = path.resolve(value());
    else if (arg === '--only') options.only = value();
    else if (arg === '--json') options.json = path.resolve(value());
    else if (arg === '--cli') options.cli = path.resolve(value());
    else if (arg === '-h' || arg === '--help') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(2, 14).map((line) => line.replace(/^ \*\s?/, '')).join('\n'));
      process.exit(0);
    } else if (arg.startsWith('-')) fail(`unknown option ${arg}`);
    else if (!options.checkouts) options.checkouts = path.resolve(arg);
    else fail(`unexpected argument ${arg}`);
  }
  if (!options.checkouts) fail('usage: npm run eval:real -- <checkouts-dir> [--mirrors <dir>] [--only <owner/name>] [--json <file>]');
  if (!fs.existsSync(options.cli)) fail(`${options.cli} not found: run npm run build first`);
  return options;
}

function fail(message) {
  console.error(`eval:real: ${message}`);
  process.exit(2);
}

/** Every label file, checked for the fields the scorer relies on. */
function loadLabels(only) {
  const directory = path.join(HERE, 'labels');
  const files = fs.readdirSync(directory).filter((name) => name.endsWith('.json')).sort();
  const repos = [];
  const outOfScope = [];
  for (const name of files) {
    const data = JSON.parse(fs.readFileSync(path.join(directory, name), 'utf8'));
    if (only && data.repo !== only) continue;
    // Labelled, then found to be outside what the docs say the tool reads (e.g. a consumer registered
    // by a package outside the checkout): kept for the record, not scored.
    if (data.outOfScope) {
      outOfScope.push({ repo: data.repo, handlers: (data.handlers ?? []).length, reason: data.outOfScope });
      continue;
    }
    if (!/^[0-9a-f]{40}$/.test(data.commit ?? '')) fail(`${name}: commit must be 40 hex digits`);
    for (const handler of data.handlers ?? []) {
      const where = `${name} ${handler.id}`;
      if (!handler.file || !Array.isArray(handler.lines) || handler.lines.length !== 2) fail(`${where}: file and lines [start, end] are required`);
      for (const expected of handler.expected ?? []) {
        if (!RULES.includes(expected.rule)) fail(`${where}: unknown rule ${expected.rule}`);
      }
      if (!(handler.expected ?? []).length && !handler.none) fail(`${where}: an empty expected list needs "none"`);
    }
    repos.push({ ...data, labelFile: name, key: name.replace(/\.json$/, '') });
  }
  return { repos, outOfScope };
}

function hasCommit(gitDir, sha) {
  return spawnSync('git', ['--git-dir', gitDir, 'cat-file', '-e', `${sha}^{commit}`], { stdio: 'ignore' }).status === 0;
}

/** Git directories under `root` (bare repositories and `.git` folders), two levels deep. */
function gitDirsUnder(root) {
  const found = [];
  const visit = (directory, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((entry) => entry.name === 'HEAD') && entries.some((entry) => entry.name === 'objects')) {
      found.push(directory);
      return;
    }
    if (depth === 0) return;
    for (const entry of entries) if (entry.isDirectory()) visit(path.join(directory, entry.name), depth - 1);
  };
  visit(root, 3);
  return found;
}

function ensureCheckout(repo, options) {
  const dest = path.join(options.checkouts, repo.key);
  if (fs.existsSync(dest)) return dest;
  if (!options.mirrors) return undefined;
  const [owner, name] = repo.repo.split('/');
  const candidates = gitDirsUnder(options.mirrors).sort((a, b) => rank(b) - rank(a));
  function rank(dir) {
    return (dir.includes(name) ? 2 : 0) + (dir.includes(owner) ? 1 : 0);
  }
  const gitDir = candidates.find((dir) => rank(dir) > 0 && hasCommit(dir, repo.commit)) ?? candidates.find((dir) => hasCommit(dir, repo.commit));
  if (!gitDir) return undefined;
  fs.mkdirSync(options.checkouts, { recursive: true });
  const run = spawnSync('bash', [path.join(HERE, 'extract.sh'), repo.repo, gitDir, options.checkouts], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(run.stderr.trim());
    return undefined;
  }
  return dest;
}

function lint(checkout, cli) {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [cli, '--format', 'json', '--explain', '.'], {
    cwd: checkout,
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
    timeout: 15 * 60 * 1000,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (run.status !== 0 && run.status !== 1) {
    return { error: `exit ${run.status ?? run.signal}: ${(run.stderr || '').trim().split('\n').slice(-3).join(' | ')}`, seconds };
  }
  try {
    const report = JSON.parse(run.stdout);
    return { report, seconds };
  } catch (error) {
    return { error: `output is not JSON (${error.message})`, seconds };
  }
}

const relativeTo = (root, file) => path.relative(root, file).split(path.sep).join('/');

function within(range, file, line) {
  return range.file === file && line >= range.lines[0] && line <= range.lines[1];
}

function overlaps(range, file, startLine, endLine) {
  return range.file === file && startLine <= range.lines[1] && endLine >= range.lines[0];
}

/** Scores one repository's handlers against one lint report. */
function scoreRepository(repo, checkout, report) {
  const findings = report.results.flatMap((result) =>
    result.messages.filter((message) => message.ruleId).map((message) => ({ file: relativeTo(checkout, result.filePath), line: message.line, rule: message.ruleId })),
  );
  const consumers = (report.consumers ?? []).map((consumer) => ({
    repo: repo.repo,
    file: relativeTo(checkout, consumer.handlerRange.filePath),
    startLine: consumer.handlerRange.line,
    endLine: consumer.handlerRange.endLine,
    library: consumer.registration.library,
    incomplete: consumer.incomplete,
  }));
  const handlers = repo.handlers.map((handler) => ({
    handler,
    ranges: [{ file: handler.file, lines: handler.lines }, ...(handler.also ?? [])],
  }));
  // A finding belongs to the smallest labelled range that holds it (handlers may nest); between
  // equal ranges, to the handler whose own lines they are (a wrapper's, before its callers' `also`).
  const got = new Map(handlers.map((entry) => [entry.handler.id, new Set()]));
  let unlabelled = 0;
  for (const finding of findings) {
    const owners = handlers.flatMap((entry) =>
      entry.ranges
        .filter((range) => within(range, finding.file, finding.line))
        .map((range) => ({ entry, size: range.lines[1] - range.lines[0], own: range === entry.ranges[0] })),
    );
    if (!owners.length) {
      unlabelled++;
      continue;
    }
    owners.sort((a, b) => a.size - b.size || Number(b.own) - Number(a.own));
    got.get(owners[0].entry.handler.id).add(finding.rule);
  }
  return handlers.map(({ handler }) => {
    const expected = new Set((handler.expected ?? []).map((entry) => entry.rule));
    const reported = got.get(handler.id);
    const found = consumers.filter((consumer) => overlaps({ file: handler.file, lines: handler.lines }, consumer.file, consumer.startLine, consumer.endLine));
    const incomplete = found.find((consumer) => consumer.incomplete)?.incomplete;
    return {
      repo: repo.repo,
      id: handler.id,
      file: handler.file,
      lines: handler.lines,
      library: handler.library,
      undecided: !!handler.undecided,
      expected: [...expected].sort(),
      reported: [...reported].sort(),
      detected: found.length > 0,
      incomplete,
    };
  }).concat([{ unlabelled, repo: repo.repo, summaryOnly: true, consumers }]);
}

function ratio(numerator, denominator) {
  return denominator ? numerator / denominator : NaN;
}

function format(value) {
  return Number.isNaN(value) ? '—' : value.toFixed(2);
}

function summarize(scored, repoRuns) {
  const handlers = scored.filter((entry) => !entry.summaryOnly);
  const perRule = new Map(RULES.map((rule) => [rule, { tp: 0, fp: 0, fn: 0 }]));
  for (const entry of handlers) {
    for (const rule of RULES) {
      const expected = entry.expected.includes(rule);
      const reported = entry.reported.includes(rule);
      const counts = perRule.get(rule);
      if (expected && reported) counts.tp++;
      else if (reported) counts.fp++;
      else if (expected) counts.fn++;
    }
  }
  const total = [...perRule.values()].reduce((sum, counts) => ({ tp: sum.tp + counts.tp, fp: sum.fp + counts.fp, fn: sum.fn + counts.fn }), { tp: 0, fp: 0, fn: 0 });
  const exact = handlers.filter((entry) => entry.expected.join() === entry.reported.join());
  const consumers = scored.filter((entry) => entry.summaryOnly).flatMap((entry) => entry.consumers);
  const incomplete = consumers.filter((consumer) => consumer.incomplete);
  const reasons = new Map();
  for (const consumer of incomplete) {
    const reason = consumer.incomplete.replace(/'[^']*'|"[^"]*"|\([^)]*\)/g, '…');
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const perLibrary = new Map();
  for (const entry of handlers) {
    const counts = perLibrary.get(entry.library) ?? { handlers: 0, exact: 0, none: 0 };
    counts.handlers++;
    if (entry.expected.join() === entry.reported.join()) counts.exact++;
    if (!entry.expected.length) counts.none++;
    perLibrary.set(entry.library, counts);
  }
  return {
    repositories: repoRuns.length,
    handlers: handlers.length,
    expectNone: handlers.filter((entry) => !entry.expected.length).length,
    exact: exact.length,
    total: { ...total, precision: ratio(total.tp, total.tp + total.fp), recall: ratio(total.tp, total.tp + total.fn) },
    perRule: Object.fromEntries([...perRule].map(([rule, counts]) => [rule, { ...counts, precision: ratio(counts.tp, counts.tp + counts.fp), recall: ratio(counts.tp, counts.tp + counts.fn) }])),
    perLibrary: Object.fromEntries(perLibrary),
    consumers: consumers.length,
    incompleteConsumers: incomplete.length,
    incompleteReasons: Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1])),
    incompleteList: incomplete.map(({ repo, file, startLine, incomplete: reason }) => ({ repo, file, line: startLine, reason })),
    undetected: handlers.filter((entry) => !entry.detected).length,
    unlabelledFindings: scored.filter((entry) => entry.summaryOnly).reduce((sum, entry) => sum + entry.unlabelled, 0),
    wrong: handlers.filter((entry) => entry.expected.join() !== entry.reported.join()),
    runs: repoRuns,
  };
}

function print(summary) {
  const lines = [];
  lines.push(`${summary.repositories} repositories, ${summary.handlers} labelled handlers (${summary.expectNone} expect no finding)`);
  lines.push('');
  lines.push('| rule | TP | FP | FN | precision | recall |');
  lines.push('|---|---|---|---|---|---|');
  for (const [rule, counts] of Object.entries(summary.perRule)) {
    if (!counts.tp && !counts.fp && !counts.fn) continue;
    lines.push(`| ${rule} | ${counts.tp} | ${counts.fp} | ${counts.fn} | ${format(counts.precision)} | ${format(counts.recall)} |`);
  }
  const total = summary.total;
  lines.push(`| **all rules** | ${total.tp} | ${total.fp} | ${total.fn} | ${format(total.precision)} | ${format(total.recall)} |`);
  lines.push('');
  lines.push(`Handlers with exactly the expected findings: ${summary.exact} of ${summary.handlers} (${((100 * summary.exact) / summary.handlers).toFixed(0)}%)`);
  lines.push(`Labelled handlers with no consumer found over them: ${summary.undetected}`);
  lines.push(`Consumers found: ${summary.consumers}; not fully analysed: ${summary.incompleteConsumers} (${((100 * summary.incompleteConsumers) / Math.max(1, summary.consumers)).toFixed(1)}%)`);
  for (const [reason, count] of Object.entries(summary.incompleteReasons)) lines.push(`  ${count} × ${reason}`);
  lines.push(`Findings outside labelled handlers (not scored): ${summary.unlabelledFindings}`);
  lines.push('');
  lines.push('| library | handlers | exact | expect none |');
  lines.push('|---|---|---|---|');
  for (const [library, counts] of Object.entries(summary.perLibrary).sort()) lines.push(`| ${library} | ${counts.handlers} | ${counts.exact} | ${counts.none} |`);
  if (summary.wrong.length) {
    lines.push('');
    lines.push('Wrong handlers (expected → reported):');
    for (const entry of summary.wrong) {
      const status = !entry.detected ? ' [no consumer found]' : entry.incomplete ? ` [not fully analysed: ${entry.incomplete}]` : '';
      lines.push(`  ${entry.repo} ${entry.id} ${entry.file}:${entry.lines.join('-')}: {${entry.expected.join(', ')}} → {${entry.reported.join(', ')}}${status}${entry.undecided ? ' (undecided label)' : ''}`);
    }
  }
  for (const entry of summary.outOfScope ?? []) lines.push(`Not scored: ${entry.repo} (${entry.handlers} handlers): ${entry.reason}`);
  lines.push('');
  for (const run of summary.runs) lines.push(`  ${run.repo}: ${run.error ? `ERROR ${run.error}` : `${run.seconds.toFixed(1)} s`}`);
  console.log(lines.join('\n'));
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const { repos, outOfScope } = loadLabels(options.only);
  if (!repos.length) fail('no labelled repositories');
  const scored = [];
  const runs = [];
  for (const repo of repos) {
    const checkout = ensureCheckout(repo, options);
    if (!checkout) {
      // Scored as a run that found nothing, so the totals do not shrink when a checkout is missing.
      runs.push({ repo: repo.repo, error: `no checkout at ${path.join(options.checkouts, repo.key)} (extract it with eval/real/extract.sh, or pass --mirrors)`, seconds: 0 });
      scored.push(...scoreRepository(repo, path.join(options.checkouts, repo.key), { results: [], consumers: [] }));
      continue;
    }
    process.stderr.write(`linting ${repo.repo} …\n`);
    const result = lint(checkout, options.cli);
    runs.push({ repo: repo.repo, error: result.error, seconds: result.seconds });
    if (result.error) {
      // A failed run reports nothing: every expected finding of the repository is a miss.
      scored.push(...scoreRepository(repo, checkout, { results: [], consumers: [] }));
      continue;
    }
    scored.push(...scoreRepository(repo, checkout, result.report));
  }
  const summary = summarize(scored, runs);
  summary.outOfScope = outOfScope;
  print(summary);
  if (options.json) fs.writeFileSync(options.json, JSON.stringify(summary, null, 2));
  if (runs.some((run) => run.error)) process.exitCode = 1;
}

main();
