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
}

type OptionSpec =
  | { kind: 'flag'; key: 'quiet' | 'explain' | 'help' | 'version' }
  | { kind: 'value'; key: 'format' | 'maxWarnings' | 'rule' | 'config' | 'project' | 'outputFile'; metavar: string };

const OPTIONS: Record<string, OptionSpec> = {
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

export function parseArgs(argv: readonly string[]): CliOptions {
  const options: CliOptions = {
    paths: [],
    format: 'stylish',
    rules: [],
    quiet: false,
    explain: false,
    help: false,
    version: false,
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
      options[spec.key] = true;
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
    }
  }
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
  2  a usage or configuration error, or an internal error

Config: delivery-lint.config.json (schema: schemas/delivery-lint.config.schema.json).
Rules: https://github.com/delivery-lint/delivery-lint/tree/main/docs/rules
`;
}
