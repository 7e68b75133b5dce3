/**
 * `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it (upload with
 * github/codeql-action/upload-sarif). Paths are relative to the working directory,
 * which is declared as %SRCROOT%.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding, FindingSeverity, SourceLocation } from '../../model';
import type { RuleMeta } from '../../rules/rule';
import type { FormatInput } from './formatter';
import { relativePath, sortFindings } from './util';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const INFORMATION_URI = 'https://github.com/delivery-lint/delivery-lint';
export const FINGERPRINT_KEY = 'deliveryLint/v1';

export type SarifLevel = 'error' | 'warning' | 'note';

export function sarifLevel(severity: FindingSeverity): SarifLevel {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

/** `ack-before-process` → `AckBeforeProcess`. */
export function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** The message without line/column numbers, so that moving code does not change the fingerprint. */
export function normalizeMessageForFingerprint(message: string): string {
  return message
    .replace(/:\d+(:\d+)?\b/g, ':')
    .replace(/\b(lines?|columns?|col)\s+\d+(\s*[-–]\s*\d+)?/gi, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

export function fingerprint(ruleId: string, relativeUri: string, message: string): string {
  return createHash('sha256')
    .update(`${ruleId}\u0000${relativeUri}\u0000${normalizeMessageForFingerprint(message)}`)
    .digest('hex')
    .slice(0, 32);
}

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

function artifactLocation(cwd: string, file: string): ArtifactLocation {
  const relative = relativePath(cwd, file);
  if (path.isAbsolute(relative) || /^[A-Za-z]:\//.test(relative)) return { uri: pathToFileURL(relative).href };
  return { uri: relative.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function physicalLocation(cwd: string, location: SourceLocation) {
  return {
    artifactLocation: artifactLocation(cwd, location.filePath),
    region: {
      startLine: location.line,
      startColumn: location.column,
      endLine: location.endLine,
      endColumn: location.endColumn,
    },
  };
}

function ruleDescriptor(meta: RuleMeta) {
  const helpParts = [meta.description, meta.rationale];
  if (meta.fixes.length) helpParts.push(`Fixes: ${meta.fixes.join('; ')}.`);
  helpParts.push(`Documentation: ${meta.docsUrl}`);
  return {
    id: meta.id,
    name: pascalCase(meta.id),
    shortDescription: { text: meta.description },
    fullDescription: { text: `${meta.description} ${meta.rationale}`.trim() },
    helpUri: meta.docsUrl,
    help: { text: helpParts.join('\n\n') },
    defaultConfiguration: { level: sarifLevel(meta.defaultSeverity) },
    properties: { tags: ['reliability', 'messaging', 'delivery-semantics'] },
  };
}

export function buildSarif(input: FormatInput) {
  const rules = input.rules.map(ruleDescriptor);
  const ruleIndex = new Map<string, number>(rules.map((rule, index) => [rule.id, index]));
  const findings = sortFindings(input.findings, input.cwd);
  for (const finding of findings) {
    // A finding of a rule the catalogue does not list still needs a descriptor for ruleIndex.
    if (!ruleIndex.has(finding.ruleId)) {
      ruleIndex.set(finding.ruleId, rules.length);
      rules.push({
        id: finding.ruleId,
        name: pascalCase(finding.ruleId),
        shortDescription: { text: finding.ruleId },
        fullDescription: { text: finding.ruleId },
        helpUri: INFORMATION_URI,
        help: { text: finding.ruleId },
        defaultConfiguration: { level: sarifLevel(finding.severity) },
        properties: { tags: ['reliability', 'messaging', 'delivery-semantics'] },
      });
    }
  }

  const seen = new Map<string, number>();
  const results = findings.map((finding: Finding) => {
    const location = physicalLocation(input.cwd, finding.location);
    const hash = fingerprint(finding.ruleId, location.artifactLocation.uri, finding.message);
    // Identical findings in one file are told apart by their order, which survives line shifts.
    const occurrence = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, occurrence);
    return {
      ruleId: finding.ruleId,
      ruleIndex: ruleIndex.get(finding.ruleId)!,
      level: sarifLevel(finding.severity),
      message: { text: finding.message },
      locations: [{ physicalLocation: location }],
      relatedLocations: finding.related.map((related, index) => ({
        id: index + 1,
        message: { text: related.message },
        physicalLocation: physicalLocation(input.cwd, related.location),
      })),
      partialFingerprints: { [FINGERPRINT_KEY]: `${hash}:${occurrence}` },
    };
  });

  let root = pathToFileURL(input.cwd).href;
  if (!root.endsWith('/')) root += '/';
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'delivery-lint',
            informationUri: INFORMATION_URI,
            version: input.version,
            semanticVersion: input.version,
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: root } },
        columnKind: 'utf16CodeUnits',
        invocations: [
          {
            executionSuccessful: !input.run.problems.some((problem) => problem.explicit),
            // What the analysis could not see, said where code scanning shows tool messages.
            toolExecutionNotifications: [...problemNotifications(input), ...coverageNotifications(input)],
          },
        ],
        results,
      },
    ],
  };
}

/** One notification per file that could not be read or analysed: its consumers were skipped. */
function problemNotifications(input: FormatInput): object[] {
  return input.run.problems.map((problem) => ({
    level: problem.explicit ? 'error' : 'warning',
    message: { text: `${relativePath(input.cwd, problem.filePath)}: ${problem.message}` },
    locations: [{ physicalLocation: { artifactLocation: artifactLocation(input.cwd, problem.filePath) } }],
  }));
}

/** One notification per consumer the analysis could not see in full, with why and where. */
function coverageNotifications(input: FormatInput): object[] {
  return input.run.consumers.flatMap((consumer) => {
    const reasons = consumer.incomplete
      ? [`not fully analysed: ${consumer.incomplete}`]
      : (consumer.partial ?? []).map((reason) => `partly analysed: ${reason}`);
    return reasons.map((reason) => ({
      level: 'note',
      message: {
        text: `${consumer.registration.library} consumer ${consumer.handlerName || '(anonymous)'}: ${reason}`,
      },
      locations: [{ physicalLocation: physicalLocation(input.cwd, consumer.registration.location) }],
    }));
  });
}

export function formatSarif(input: FormatInput): string {
  return JSON.stringify(buildSarif(input), null, 2) + '\n';
}
