/** Effects the user names in delivery-lint.config.json (`effects.unsafe`, `effects.idempotent`). */
import { CallLink, ClassifiedCall, MatchContext, effect } from './matcher';

/**
 * A pattern is `name` (a function or method name), `obj.method` (matching the end of the call's
 * access path, ignoring `this`) or `*.method` (any receiver).
 */
function matchesPattern(path: readonly string[], pattern: string): boolean {
  const names = path.filter((name) => name !== 'this' && name !== '()');
  const parts = pattern.split('.');
  if (parts.length > names.length) return false;
  const tail = names.slice(names.length - parts.length);
  return parts.every((part, index) => part === '*' || part === tail[index]);
}

export function matchConfigured(link: CallLink, context: MatchContext): ClassifiedCall | undefined {
  const label = link.path.filter((name) => name !== 'this').join('.');
  if (context.config.effects.idempotent.some((pattern) => matchesPattern(link.path, pattern))) {
    return effect(link, 'idempotent', 'config', label);
  }
  if (context.config.effects.unsafe.some((pattern) => matchesPattern(link.path, pattern))) {
    return effect(link, 'duplicate-unsafe', 'config', label, { onDuplicate: `runs ${label} a second time` });
  }
  return undefined;
}
