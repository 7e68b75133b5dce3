/**
 * The documents the extension serves. Plain data with no `vscode` import: the client's
 * document selector and the generated package.json activation events both read it.
 */

/** VS Code language ids the language server analyses. */
export const LANGUAGE_IDS = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'] as const;

/** URI schemes of those documents: files on disk (the analysis needs the project around them). */
export const SCHEMES = ['file'] as const;

/**
 * Files whose change can change an analysis: the project and delivery-lint configs, package.json
 * files (their `imports` and `type` steer module resolution), and any source file (a helper called
 * by an open consumer can change on disk). Watched by the client and forwarded to the server as
 * workspace/didChangeWatchedFiles.
 */
export const WATCHED_FILES = [
  '**/tsconfig.json',
  '**/jsconfig.json',
  '**/delivery-lint.config.json',
  '**/package.json',
  '**/*.{ts,tsx,js,jsx,mts,cts,mjs,cjs}',
] as const;

export function documentSelector(): { language: string; scheme: string }[] {
  return LANGUAGE_IDS.flatMap((language) => SCHEMES.map((scheme) => ({ language, scheme })));
}
