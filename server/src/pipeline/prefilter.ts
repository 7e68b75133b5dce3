/**
 * The cheap text test run before any parsing: only files that import a broker library (or show a
 * library's `mentions`, e.g. `.xreadgroup(`) are parsed and type-checked as roots; what they
 * reach is loaded through module resolution.
 */
import { BROKER_PACKAGES, LIBRARIES } from '../analysis/libraries';

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

const IMPORT_OF_BROKER = new RegExp(
  `(?:from\\s*|require\\s*\\(\\s*|import\\s*\\(\\s*)['"](?:${BROKER_PACKAGES.map(escape).join('|')})(?:/[^'"]*)?['"]`,
);

const MENTIONS: readonly RegExp[] = LIBRARIES.flatMap((library) =>
  library.info.mentions ? [library.info.mentions] : [],
);

export function mentionsBroker(text: string): boolean {
  return IMPORT_OF_BROKER.test(text) || MENTIONS.some((pattern) => pattern.test(text));
}
