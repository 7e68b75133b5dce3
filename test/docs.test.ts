/**
 * The delivery model lives in the repository (docs/model.md and the rule pages), and what cites it
 * points at it: every `docs/…` path named in the sources, tests, scripts and docs exists, every
 * section a citation names (`docs/model.md, "Guards"`) is a heading of docs/model.md, and every
 * relative link in the docs resolves.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '..');
const SOURCE_FOLDERS = ['server/src', 'client/src', 'test', 'scripts', 'bench'];
const DOCS = ['README.md', 'ARCHITECTURE.md', 'CONTRIBUTING.md', 'docs', 'examples/README.md'];

function filesUnder(relative: string, pattern: RegExp): string[] {
  const absolute = path.join(ROOT, relative);
  if (!fs.existsSync(absolute)) return [];
  if (fs.statSync(absolute).isFile()) return pattern.test(relative) ? [relative] : [];
  return fs.readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) return [];
    return filesUnder(path.posix.join(relative, entry.name), pattern);
  });
}

function headingsOf(file: string): Set<string> {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  return new Set([...text.matchAll(/^#{1,4} (.+)$/gm)].map((match) => match[1].trim()));
}

/** Comment text with the ` * ` of JSDoc continuation lines folded away, so a citation can wrap. */
function folded(text: string): string {
  return text.replace(/\n\s*(\*|\/\/)\s*/g, ' ');
}

const sources = SOURCE_FOLDERS.flatMap((folder) => filesUnder(folder, /\.(ts|mjs|cjs|js)$/)).filter(
  (file) => !file.includes('/.generated/'),
);
const docs = DOCS.flatMap((entry) => filesUnder(entry, /\.md$/));

test('every docs/ file the code and docs name exists', () => {
  const missing: string[] = [];
  for (const file of [...sources, ...docs]) {
    for (const match of fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/\bdocs\/[\w./-]+\.md\b/g)) {
      if (!fs.existsSync(path.join(ROOT, match[0]))) missing.push(`${file} names ${match[0]}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('every section of docs/model.md that a citation names is one of its headings', () => {
  const headings = headingsOf('docs/model.md');
  const unknown: string[] = [];
  for (const file of [...sources, ...docs]) {
    const text = folded(fs.readFileSync(path.join(ROOT, file), 'utf8'));
    for (const match of text.matchAll(/docs\/model\.md,\s*((?:"[^"\n]+"(?:,\s*|\s+and\s+)?)+)/g)) {
      for (const section of match[1].matchAll(/"([^"]+)"/g)) {
        if (!headings.has(section[1])) unknown.push(`${file}: "${section[1]}"`);
      }
    }
  }
  assert.deepEqual(unknown, [], `not headings of docs/model.md: ${[...headings].join(' | ')}`);
});

test('no source comment cites the model by a file outside the repository', () => {
  const outside = sources.filter((file) =>
    /RULES\.md|\/work\/shared/.test(fs.readFileSync(path.join(ROOT, file), 'utf8')),
  );
  assert.deepEqual(outside, []);
});

test('relative links in the docs resolve', () => {
  const broken: string[] = [];
  for (const file of docs) {
    // Inline code (`handlers[type](event)`) is not a link.
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8').replace(/`[^`\n]*`/g, '');
    for (const match of text.matchAll(/\]\((?!https?:|mailto:|#)([^)\s#]+)(#[^)\s]*)?\)/g)) {
      const target = path.join(ROOT, path.dirname(file), match[1]);
      if (!fs.existsSync(target)) broken.push(`${file} links ${match[1]}`);
    }
  }
  assert.deepEqual(broken, []);
});
