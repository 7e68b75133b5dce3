/**
 * Runs the extension-host suite (test/vscode/suite.ts, built to dist/test/suite.js) in desktop
 * VS Code through @vscode/test-electron: `npm run test:electron`.
 *
 * For machines that can download VS Code (from update.code.visualstudio.com) or have it: set
 * DELIVERY_LINT_VSCODE_EXECUTABLE to use an installed `code` binary, DELIVERY_LINT_VSCODE_VERSION
 * to pick the downloaded version (default: stable). On Linux without a display, run it under
 * `xvfb-run -a`. The development machines here cannot download VS Code (ENOTFOUND), so this is not
 * part of `npm test`; there test/vscode/code-server.test.ts runs the same suite in code-server.
 *
 * The workspace is a temporary copy of examples/ (the suite edits documents), with its own user
 * data and extensions folders; other installed extensions are disabled.
 */
import { runTests } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SuiteResult } from './suite';

const REPO = path.resolve(__dirname, '..', '..');
const SUITE = path.join(REPO, 'dist', 'test', 'suite.js');

async function main(): Promise<number> {
  for (const built of ['dist/extension.js', 'dist/server.js', 'dist/test/suite.js']) {
    if (!fs.existsSync(path.join(REPO, built))) {
      console.error(`run-electron: ${built} is missing: run \`npm run build\` first.`);
      return 1;
    }
  }
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-lint-electron-'));
  const workspace = path.join(temp, 'examples');
  fs.cpSync(path.join(REPO, 'examples'), workspace, { recursive: true });
  const resultFile = path.join(temp, 'result.json');
  const started = Date.now();
  let exitCode: number;
  try {
    exitCode = await runTests({
      version: process.env.DELIVERY_LINT_VSCODE_VERSION || undefined,
      vscodeExecutablePath: process.env.DELIVERY_LINT_VSCODE_EXECUTABLE || undefined,
      extensionDevelopmentPath: REPO,
      extensionTestsPath: SUITE,
      extensionTestsEnv: { DELIVERY_LINT_E2E_RESULT: resultFile },
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        path.join(temp, 'user-data'),
        '--extensions-dir',
        path.join(temp, 'extensions'),
      ],
    });
  } catch (error) {
    console.error(`run-electron: VS Code did not run the suite: ${(error as Error).message ?? error}`);
    exitCode = 1;
  }

  if (fs.existsSync(resultFile)) {
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as SuiteResult;
    console.log(`${result.appName} ${result.vscodeVersion}, ${((Date.now() - started) / 1000).toFixed(1)} s:`);
    for (const check of result.checks)
      console.log(
        `  ${check.pass ? 'ok  ' : 'FAIL'} ${check.name} (${check.ms} ms)${check.pass ? '' : `\n       ${check.error}`}`,
      );
    if (!result.done) console.log('  (the suite did not finish)');
    if (!result.done || result.checks.some((check) => !check.pass)) exitCode ||= 1;
  } else {
    console.error(`run-electron: the suite wrote no result (${resultFile})`);
    exitCode ||= 1;
  }
  if (!process.env.DELIVERY_LINT_KEEP_TEMP) fs.rmSync(temp, { recursive: true, force: true });
  else console.log(`kept ${temp}`);
  return exitCode;
}

void main().then((code) => process.exit(code));
