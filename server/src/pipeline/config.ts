/**
 * Loading delivery-lint.config.json for a run: config/ validates the file against the rule ids
 * it is given; this is where they come from (the rule catalogue), so config/ stays below the rules.
 */
import { loadConfig, type LoadConfigOptions } from '../config/load';
import type { ResolvedConfig } from '../config/resolved-config';
import { allRules, ruleById } from '../rules';

/** The rule catalogue, as config validation needs it. */
export function ruleCatalogue(): LoadConfigOptions {
  const ids = allRules.map((rule) => rule.meta.id);
  return { isKnownRule: (id) => ruleById(id) !== undefined, knownRuleIds: () => ids };
}

/** The config for `cwd`: the explicit file, else the nearest delivery-lint.config.json upward, else the defaults. */
export function loadProjectConfig(cwd: string, explicitPath?: string): ResolvedConfig {
  return loadConfig(cwd, explicitPath, ruleCatalogue());
}
