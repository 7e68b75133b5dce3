/**
 * The command line of `delivery-lint`, parsed by hand: `--opt value` and `--opt=value`,
 * repeatable `--rule`, `--` ends the options. Errors are UsageError (exit 2).
 */
import { SEVERITY_VALUES, type FileSeverity } from '../config/load';

export const FORMATS = ['stylish', 'json', 'sarif', 'github'] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** A mistake on the command line: printed as `delivery-lint: <message>`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface RuleOverride {
  ruleId: string;
  severity: FileSeverity;
}

export interface CliOptions {
  paths: string[];
  format: OutputFormat;
  maxWarnings?: number;
  rules: RuleOverride[];
  config?: string;
  project?: string;
  quiet: boolean;
  explain: boolean;
  outputFile?: string;
  help: boolean;
  version: boolean;
  /** Apply the safe fixes and write the files. */
  fix: boolean;
  /** Apply the safe fixes in memory and print the diff. */
  fixDryRun: boolean;
  cache: boolean;
  cacheLocation?: string;
  ignorePatterns: string[];
  stdin: boolean;
  stdinFilename?: string;
  printConfig?: string;
  /** Severity of unused-directive reports: `--report-unused-disable-directives` is `error`. */
  reportUnusedDirectives?: FileSeverity;
  suppressAll: boolean;
  suppressRules: string[];
  suppressionsLocation?: string;
  pruneSuppressions: boolean;
  passOnUnprunedSuppressions: boolean;
}

type FlagKey =
  | 'quiet'
  | 'explain'
  | 'help'
  | 'version'
  | 'fix'
  | 'fixDryRun'
  | 'cache'
  | 'stdin'
  | 'suppressAll'
  | 'pruneSuppressions'
  | 'passOnUnprunedSuppressions'
  | 'reportUnusedDirectives';

type ValueKey =
  | 'format'
  | 'maxWarnings'
  | 'rule'
  | 'config'
  | 'project'
  | 'outputFile'
  | 'cacheLocation'
  | 'ignorePattern'
  | 'stdinFilename'
  | 'printConfig'
  | 'reportUnusedDirectivesSeverity'
  | 'suppressRule'
  | 'suppressionsLocation';

type OptionSpec = { kind: 'flag'; key: FlagKey } | { kind: 'value'; key: ValueKey; metavar: string };

export const OPTIONS: Record<string, OptionSpec> = {
  '--format': { kind: 'value', key: 'format', metavar: 'stylish|json|sarif|github' },
  '--max-warnings': { kind: 'value', key: 'maxWarnings', metavar: 'N' },
  '--rule': { kind: 'value', key: 'rule', metavar: '<id>:off|warn|error|info' },
  '--config': { kind: 'value', key: 'config', metavar: '<file>' },
  '--project': { kind: 'value', key: 'project', metavar: '<tsconfig>' },
  '--output-file': { kind: 'value', key: 'outputFile', metavar: '<file>' },
  '--quiet': { kind: 'flag', key: 'quiet' },
  '--explain': { kind: 'flag', key: 'explain' },
  '--help': { kind: 'flag', key: 'help' },
  '--version': { kind: 'flag', key: 'version' },
  '--fix': { kind: 'flag', key: 'fix' },
  '--fix-dry-run': { kind: 'flag', key: 'fixDryRun' },
  '--cache': { kind: 'flag', key: 'cache' },
  '--cache-location': { kind: 'value', key: 'cacheLocation', metavar: '<path>' },
  '--ignore-pattern': { kind: 'value', key: 'ignorePattern', metavar: '<pattern>' },
  '--stdin': { kind: 'flag', key: 'stdin' },
  '--stdin-filename': { kind: 'value', key: 'stdinFilename', metavar: '<path>' },
  '--print-config': { kind: 'value', key: 'printConfig', metavar: '<file>' },
  '--report-unused-disable-directives': { kind: 'flag', key: 'reportUnusedDirectives' },
  '--report-unused-disable-directives-severity': {
    kind: 'value',
    key: 'reportUnusedDirectivesSeverity',
    metavar: 'off|warn|error|info',
  },
  '--suppress-all': { kind: 'flag', key: 'suppressAll' },
  '--suppress-rule': { kind: 'value', key: 'suppressRule', metavar: '<rule-id>' },
  '--suppressions-location': { kind: 'value', key: 'suppressionsLocation', metavar: '<file>' },
  '--prune-suppressions': { kind: 'flag', key: 'pruneSuppressions' },
  '--pass-on-unpruned-suppressions': { kind: 'flag', key: 'passOnUnprunedSuppressions' },
};

const SHORT_ALIASES: Record<string, string> = {
  '-h': '--help',
  '-v': '--version',
  '-f': '--format',
  '-c': '--config',
  '-p': '--project',
  '-o': '--output-file',
  '-q': '--quiet',
};

/** Options that cannot go together, with the reason given. */
const CONFLICTS: [keyof CliOptions, keyof CliOptions, string][] = [
  ['fix', 'fixDryRun', 'use one of them'],
  ['stdin', 'fix', 'standard input cannot be written back; use --fix-dry-run'],
  ['suppressAll', 'suppressRules', 'use one of them'],
  ['suppressAll', 'pruneSuppressions', 'suppressing rewrites the counts already'],
  ['suppressRules', 'pruneSuppressions', 'suppressing rewrites the counts already'],
  ['stdin', 'suppressAll', 'a suppressions file is written from whole-project runs'],
  ['stdin', 'suppressRules', 'a suppressions file is written from whole-project runs'],
  ['stdin', 'pruneSuppressions', 'a suppressions file is written from whole-project runs'],
];

const OPTION_NAMES: Partial<Record<keyof CliOptions, string>> = {
  fix: '--fix',
  fixDryRun: '--fix-dry-run',
  stdin: '--stdin',
  suppressAll: '--suppress-all',
  suppressRules: '--suppress-rule',
  pruneSuppressions: '--prune-suppressions',
};

function isSet(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : value === true;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    paths: [],
    format: 'stylish',
    rules: [],
    quiet: false,
    explain: false,
    help: false,
    version: false,
    fix: false,
    fixDryRun: false,
    cache: false,
    ignorePatterns: [],
    stdin: false,
    suppressAll: false,
    suppressRules: [],
    pruneSuppressions: false,
    passOnUnprunedSuppressions: false,
  };

  let onlyPaths = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (onlyPaths || arg === '-' || !arg.startsWith('-')) {
      options.paths.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPaths = true;
      continue;
    }

    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const written = eq >= 0 ? arg.slice(0, eq) : arg;
    const name = SHORT_ALIASES[written] ?? written;
    const spec = Object.prototype.hasOwnProperty.call(OPTIONS, name) ? OPTIONS[name] : undefined;
    if (!spec) throw new UsageError(`unknown option ${quoteArg(written)}; see --help`);

    if (spec.kind === 'flag') {
      if (eq >= 0) throw new UsageError(`option ${name} does not take a value; see --help`);
      if (spec.key === 'reportUnusedDirectives') options.reportUnusedDirectives = 'error';
      else options[spec.key] = true;
      continue;
    }

    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next !== '-' && !/^-\d/.test(next))) {
        throw new UsageError(`option ${name} needs a value (${spec.metavar}); see --help`);
      }
      value = next;
      i++;
    }
    if (value === '') throw new UsageError(`option ${name} needs a value (${spec.metavar}); see --help`);

    switch (spec.key) {
      case 'format':
        if (!(FORMATS as readonly string[]).includes(value)) {
          throw new UsageError(`--format must be one of ${FORMATS.join(', ')} (got ${quoteArg(value)})`);
        }
        options.format = value as OutputFormat;
        break;
      case 'maxWarnings':
        if (value === '-1') {
          // ESLint's spelling of "no limit".
          options.maxWarnings = undefined;
          break;
        }
        if (!/^\d+$/.test(value)) {
          throw new UsageError(`--max-warnings must be a whole number of 0 or more (got ${quoteArg(value)})`);
        }
        options.maxWarnings = Number(value);
        break;
      case 'rule':
        options.rules.push(parseRuleOverride(value));
        break;
      case 'config':
        options.config = value;
        break;
      case 'project':
        options.project = value;
        break;
      case 'outputFile':
        options.outputFile = value;
        break;
      case 'cacheLocation':
        options.cacheLocation = value;
        break;
      case 'ignorePattern':
        options.ignorePatterns.push(value);
        break;
      case 'stdinFilename':
        options.stdinFilename = value;
        break;
      case 'printConfig':
        options.printConfig = value;
        break;
      case 'reportUnusedDirectivesSeverity':
        if (!(SEVERITY_VALUES as readonly string[]).includes(value)) {
          throw new UsageError(`${name} must be one of ${SEVERITY_VALUES.join(', ')} (got ${quoteArg(value)})`);
        }
        options.reportUnusedDirectives = value as FileSeverity;
        break;
      case 'suppressRule':
        options.suppressRules.push(value);
        break;
      case 'suppressionsLocation':
        options.suppressionsLocation = value;
        break;
    }
  }
  for (const [first, second, reason] of CONFLICTS) {
    if (isSet(options[first]) && isSet(options[second]))
      throw new UsageError(`${OPTION_NAMES[first]} and ${OPTION_NAMES[second]} cannot be used together: ${reason}`);
  }
  if (options.stdin && options.paths.length)
    throw new UsageError('--stdin lints standard input: give no paths (name the file with --stdin-filename)');
  if (options.stdinFilename !== undefined && !options.stdin)
    throw new UsageError('--stdin-filename names the file read with --stdin; add --stdin');
  return options;
}

/** `ack-before-process:off` → { ruleId, severity }; the rule id is checked later, against the catalogue. */
export function parseRuleOverride(value: string): RuleOverride {
  const colon = value.lastIndexOf(':');
  const ruleId = colon > 0 ? value.slice(0, colon) : '';
  const severity = colon > 0 ? value.slice(colon + 1) : '';
  if (!ruleId || !(SEVERITY_VALUES as readonly string[]).includes(severity)) {
    throw new UsageError(`--rule must look like <rule-id>:${SEVERITY_VALUES.join('|')} (got ${quoteArg(value)})`);
  }
  return { ruleId, severity: severity as FileSeverity };
}

function quoteArg(text: string): string {
  return JSON.stringify(text);
}

export function helpText(version: string): string {
  return `delivery-lint ${version}: finds message-delivery bugs (lost and duplicated messages) in TypeScript consumers

Usage: delivery-lint [options] [paths...]

Lints the files and folders given (default: the current folder).

Options:
  -f, --format <name>        Output format: stylish (default), json, sarif, github
      --max-warnings <N>     Exit with 1 when there are more than N warnings
      --rule <id>:<level>    Set a rule's severity: off, warn, error or info (repeatable)
  -c, --config <file>        Use this config file instead of the nearest delivery-lint.config.json
  -p, --project <tsconfig>   Use this tsconfig.json instead of the nearest one
  -q, --quiet                Report errors only (warnings still count for --max-warnings)
      --explain              Also print each consumer found: library, queue, ack mode, effects,
                             and its crash timeline (what a crash or error at each step leads to)
  -o, --output-file <file>   Write the report to a file instead of standard output
      --ignore-pattern <glob>  Do not lint files matching this pattern, relative to the current
                             folder, as in the config's "ignore" (repeatable)

Fixing:
      --fix                  Apply the safe fixes, write the files and report what is left (the
                             other fixes stay suggestions, offered in the editor)
      --fix-dry-run          Apply the safe fixes in memory and print the diff; write nothing

Caching:
      --cache                Reuse the results of files whose inputs did not change (the file, the
                             files it reaches, the config, delivery-lint's version)
      --cache-location <path>  The cache file, or a folder for it (default: .delivery-lint-cache)

Standard input:
      --stdin                Lint the text on standard input instead of files
      --stdin-filename <path>  The path that text has in the project (default: <stdin>.ts here)

Suppression comments:
      --report-unused-disable-directives  Report delivery-lint-disable comments that suppressed
                             nothing, as errors
      --report-unused-disable-directives-severity <level>  ... with this severity: off, warn,
                             error or info

Suppressions file (adopting delivery-lint on code with findings):
      --suppress-all         Record every finding in the suppressions file; later runs report only
                             findings beyond those counts
      --suppress-rule <id>   Record the findings of this rule only (repeatable)
      --suppressions-location <file>  The suppressions file (default:
                             delivery-lint-suppressions.json here)
      --prune-suppressions   Remove the counts of findings that are gone from the file
      --pass-on-unpruned-suppressions  Do not fail when the file counts findings that are gone

Other:
      --print-config <file>  Print the configuration used for that file, as a config file
  -h, --help                 Show this help
  -v, --version              Show the version

Formats:
  stylish   for people, grouped by file
  json      ESLint's JSON result format; with --explain an object { results, consumers }
  sarif     SARIF 2.1.0 for GitHub code scanning
  github    GitHub Actions workflow commands (annotations)

Exit codes:
  0  no errors, and no more warnings than --max-warnings
  1  errors found, or too many warnings
  2  a usage or configuration error, an internal error, or a suppressions file that counts
     findings that are gone (see --prune-suppressions)

Config: delivery-lint.config.json (schema: schemas/delivery-lint.config.schema.json).
Rules: https://github.com/delivery-lint/delivery-lint/tree/main/docs/rules
`;
}
