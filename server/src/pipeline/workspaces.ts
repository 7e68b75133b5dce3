/**
 * Monorepo workspace packages without node_modules: CI often lints a checkout that was never
 * installed, so `import { subscribe } from '@acme/bus'` cannot resolve. Each package.json found in
 * the project maps its name to its entry file, so calls into sibling packages are followed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const SKIPPED = new Set(['node_modules', '.git', 'dist', 'build', 'out', 'coverage', '.next', '.turbo']);
const MAX_DEPTH = 4;

export interface WorkspacePackage {
  name: string;
  directory: string;
  entry: string;
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The TypeScript source a package's manifest points at (types, main, exports, or src/index.ts). */
function entryOf(directory: string, manifest: Record<string, unknown>): string | undefined {
  const exportsField = manifest.exports as Record<string, unknown> | string | undefined;
  const dotExport =
    typeof exportsField === 'string'
      ? exportsField
      : exportsField && typeof exportsField === 'object'
        ? exportsField['.']
        : undefined;
  const declared = [
    manifest.types,
    manifest.typings,
    manifest.source,
    typeof dotExport === 'string' ? dotExport : undefined,
    manifest.main,
  ].filter((value): value is string => typeof value === 'string');
  const candidates = [
    ...declared.flatMap((entry) => [
      entry,
      entry.replace(/\.(c|m)?js$/, '.ts'),
      entry
        .replace(/^\.?\/?(dist|build|lib)\//, 'src/')
        .replace(/\.(c|m)?js$/, '.ts')
        .replace(/\.d\.ts$/, '.ts'),
    ]),
    'src/index.ts',
    'index.ts',
    'src/index.js',
    'index.js',
  ];
  for (const candidate of candidates) {
    const file = path.resolve(directory, candidate);
    if (/\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(file) && !file.endsWith('.d.ts') && fs.existsSync(file)) return file;
  }
  return undefined;
}

export function findWorkspacePackages(root: string): WorkspacePackage[] {
  const packages: WorkspacePackage[] = [];
  const walk = (directory: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    if (entries.some((entry) => entry.isFile() && entry.name === 'package.json')) {
      const manifest = readJson(path.join(directory, 'package.json'));
      const name = manifest?.name;
      const entry = manifest && typeof name === 'string' ? entryOf(directory, manifest) : undefined;
      if (typeof name === 'string' && entry) packages.push({ name, directory, entry });
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries) {
      if (entry.isDirectory() && !SKIPPED.has(entry.name) && !entry.name.startsWith('.'))
        walk(path.join(directory, entry.name), depth + 1);
    }
  };
  walk(root, 0);
  return packages;
}

/**
 * `paths` entries for the workspace packages that do not resolve through node_modules, keeping any
 * mapping the tsconfig already has.
 */
export function workspacePaths(
  root: string,
  existing: Record<string, string[]> | undefined,
): Record<string, string[]> | undefined {
  const mapped: Record<string, string[]> = { ...(existing ?? {}) };
  let added = 0;
  for (const workspace of findWorkspacePackages(root)) {
    if (mapped[workspace.name] || fs.existsSync(path.join(root, 'node_modules', workspace.name))) continue;
    mapped[workspace.name] = [workspace.entry];
    mapped[`${workspace.name}/*`] = [path.join(workspace.directory, '*')];
    added++;
  }
  return added ? mapped : undefined;
}
