// Runs the test suites with Node's test runner (each file in its own process).
//
//   node scripts/test.mjs          every suite: what `npm test` and CI run
//   node scripts/test.mjs --unit   every suite but the real-editor ones (test/neovim, test/vscode),
//                                  which need Neovim, Chromium and code-server: what `npm run test:unit` runs
//
// Files are test/*.test.ts and test/<folder>/*.test.ts, so a new folder of tests needs no change here.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const EDITOR_SUITES = new Set(['neovim', 'vscode']);
const unit = process.argv.includes('--unit');
const root = path.resolve(import.meta.dirname, '..');
const testDir = path.join(root, 'test');

const files = [];
for (const entry of fs.readdirSync(testDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
  if (entry.isFile() && entry.name.endsWith('.test.ts')) files.push(path.join('test', entry.name));
  if (!entry.isDirectory() || (unit && EDITOR_SUITES.has(entry.name))) continue;
  for (const name of fs.readdirSync(path.join(testDir, entry.name)).sort()) {
    if (name.endsWith('.test.ts')) files.push(path.join('test', entry.name, name));
  }
}

const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...files], { cwd: root, stdio: 'inherit' });
process.exitCode = result.status ?? 1;
