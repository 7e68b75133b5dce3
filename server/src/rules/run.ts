/** Runs every enabled rule on a consumer and turns reports into findings with resolved severities. */
import type { ConsumerReport, Finding } from '../analysis/model';
import type { ResolvedConfig } from '../config/types';
import type { FixContext } from './fixes/context';
import { allRules } from './index';

export function runRules(consumer: ConsumerReport, config: ResolvedConfig, fixes: FixContext): Finding[] {
  const findings: Finding[] = [];
  for (const rule of allRules) {
    const severity = config.rules[rule.meta.id] ?? rule.meta.defaultSeverity;
    if (severity === 'off') continue;
    rule.check(consumer, {
      config,
      fixes,
      report: (report) =>
        findings.push({
          ruleId: rule.meta.id,
          severity,
          message: report.message,
          location: report.location,
          related: report.related,
          consumerId: consumer.id,
          fixes: report.fixes ?? [],
        }),
    });
  }
  return findings;
}
