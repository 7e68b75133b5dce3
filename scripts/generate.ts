/**
 * Writes every artifact derived from rule and library metadata, so the rule files stay the single
 * source of truth: the config schema's rule list, the docs index, the README's tables, the
 * per-library section of docs/model.md (from the library traits), the VS Code
 * extension's package.json `contributes` and activation events, and the rule metadata the
 * explainer panel shows. `--check` fails (exit 1) instead of writing when a file is out of date;
 * a test runs it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LANGUAGE_IDS } from '../client/src/languages';
import { SEVERITY_VALUES, toFileSeverity } from '../server/src/config/load';
import { LIBRARIES } from '../server/src/analysis/libraries';
import type { ByAckMode, HeldUnsettled, LibraryTraits } from '../server/src/model';
import { COMMANDS, SETTINGS_SECTION } from '../server/src/lsp/protocol';
import { allRules } from '../server/src/rules';

const ROOT = path.resolve(__dirname, '..');

type Generated = { file: string; content: string };

export function schemaFile(): Generated {
  const file = path.join(ROOT, 'schemas/delivery-lint.config.schema.json');
  const schema = JSON.parse(fs.readFileSync(file, 'utf8')) as { properties: { rules: { properties: unknown } } };
  schema.properties.rules.properties = Object.fromEntries(
    allRules.map((rule) => [
      rule.meta.id,
      {
        description: `${rule.meta.description} Default: ${toFileSeverity(rule.meta.defaultSeverity)}.`,
        $ref: '#/definitions/severity',
      },
    ]),
  );
  return { file, content: `${JSON.stringify(schema, null, 2)}\n` };
}

export function rulesTable(): string {
  const rows = allRules.map((rule) => {
    const fixes = rule.meta.fixes.length ? rule.meta.fixes.join('; ') : '—';
    return `| [\`${rule.meta.id}\`](docs/rules/${rule.meta.id}.md) | ${toFileSeverity(rule.meta.defaultSeverity)} | ${rule.meta.description} | ${fixes} |`;
  });
  return ['| rule | default | finds | quick-fixes |', '|---|---|---|---|', ...rows].join('\n');
}

export function librariesTable(): string {
  const rows = LIBRARIES.map(
    (library) =>
      `| ${library.info.displayName} | ${library.info.registration} | ${library.info.ackModes} | ${library.info.identity} |`,
  );
  return ['| library | registration | ack mode | message identity |', '|---|---|---|---|', ...rows].join('\n');
}

/** A markdown table cell: pipes escaped, so phrases with `|` in code stay in their cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function ackModeVariants(value: ByAckMode<string> | undefined): string[] {
  if (!value) return [];
  const rows = [value.default];
  for (const mode of ['explicit', 'implicit-after-return', 'auto-before-handler'] as const) {
    if (value[mode] !== undefined) rows.push(`${mode}: ${value[mode]}`);
  }
  return rows;
}

function heldText(held: HeldUnsettled | undefined): string {
  if (!held) return "not held: not settling is the broker's timed retry, or the library settles";
  const extra = [
    held.exceptionCaughtBy
      ? `an exception escaping the handler leaves it held too (${held.exceptionCaughtBy} catches it)`
      : '',
    held.cancelledWithoutMessage ? 'the handler is called without a message when the consumer is cancelled' : '',
  ].filter(Boolean);
  return [`held (\`${held.kind}\`): ${held.explanation}`, ...extra].join('; ');
}

function codeText(traits: LibraryTraits): string {
  const code = traits.code;
  if (!code) return '—';
  const parts: string[] = [];
  if (code.settle) {
    const settle = code.settle;
    const calls = [settle.ack, settle.nackRequeue, settle.nackDrop]
      .filter((call): call is string => !!call)
      .map((call) => `\`${call}\``);
    parts.push(
      `settles ${settle.via === 'copy' ? "by copying the handler's own settle call" : `via the ${settle.via}${calls.length ? `: ${calls.join(', ')}` : ''}`}${settle.fallback ? ` (without a settle to copy: from the ${settle.fallback})` : ''}`,
    );
  }
  if (code.guardSettlesThroughRegistration)
    parts.push("the dedup guard acks a duplicate and nacks a message in progress through the registration's channel");
  if (code.guardReturnsMessage) parts.push('the dedup guard returns the message on the "seen" path');
  if (code.identityHashFallback)
    parts.push(`the dedup key falls back to a hash of \`message.${code.identityHashFallback}\``);
  if (code.manualAckOption) parts.push(`manual ack sets \`${code.manualAckOption}: false\``);
  if (code.sendOffsetsFix) parts.push('the exactly-once fix adds `transaction.sendOffsets`');
  if (code.identityUniquePerQueue)
    parts.push('dedup keys need not name the queue (the message ID is unique per queue)');
  return parts.join('; ');
}

function traitRows(traits: LibraryTraits): string[] {
  const [redelivery, ...otherModes] = ackModeVariants(traits.redeliveryCause);
  const rows: [string, string][] = [
    ['source noun', traits.sourceNoun],
    ['redelivered when', redelivery],
    ...otherModes.map((text): [string, string] => ['… in an ack mode of its own', text]),
    ['settling means', traits.settleMeaning],
    ['a failure reaching the library', traits.failureOutcome],
    ['dead letters', traits.deadLetter],
    ['unsettled messages', heldText(traits.holdsUnsettled)],
    [
      'a second settle',
      traits.secondSettle ? ackModeVariants(traits.secondSettle).join(' · ') : 'harmless: not reported',
    ],
    [
      'acked on delivery',
      traits.autoAck
        ? `${traits.autoAck.reason}${traits.autoAck.remedy ? `. Remedy: ${traits.autoAck.remedy}` : ''}`
        : '—',
    ],
    [
      'a settle that drops',
      traits.drop
        ? `${traits.drop.explanation}. Fix: ${traits.drop.redeliver.title} (\`${traits.drop.redeliver.call}\`)`
        : '—',
    ],
    ['offsets in a producer transaction', traits.transactionalOffsets ? 'yes: `exactly-once-incomplete` applies' : '—'],
    ['code the fixes write', codeText(traits)],
  ];
  return ['| trait | value |', '|---|---|', ...rows.map(([name, value]) => `| ${name} | ${cell(value)} |`)];
}

/** docs/model.md, "Per-library behaviour": every library's traits, as its module declares them. */
export function libraryTraitsSection(): string {
  const yes = (value: unknown): string => (value ? 'yes' : '—');
  const summary = [
    '| library | unsettled messages held | a second settle is an error | can be acked on delivery | a settle can drop | offsets in a producer transaction |',
    '|---|---|---|---|---|---|',
    ...LIBRARIES.map((library) => {
      const all = [library.traits, ...Object.values(library.traitsByTransport ?? {})];
      return `| [${library.info.id}](#${library.info.id}) | ${yes(all.some((traits) => traits.holdsUnsettled))} | ${yes(all.some((traits) => traits.secondSettle))} | ${yes(all.some((traits) => traits.autoAck))} | ${yes(all.some((traits) => traits.drop))} | ${yes(all.some((traits) => traits.transactionalOffsets))} |`;
    }),
  ];
  const sections = LIBRARIES.flatMap((library) => {
    const lines = [
      `### ${library.info.id}`,
      '',
      `${library.info.displayName}. Registration: ${library.info.registration}. Ack modes: ${library.info.ackModes}. Identity: ${library.info.identity}.`,
      '',
    ];
    if (!library.traitsByTransport) return [...lines, ...traitRows(library.traits), ''];
    lines.push(
      'The traits depend on the transport, read from the bootstrap. When no bootstrap names it, the consumer is incomplete (no rule judges it) and these hold:',
      '',
      ...traitRows(library.traits),
      '',
    );
    for (const [transport, traits] of Object.entries(library.traitsByTransport))
      lines.push(`#### ${library.info.id} over ${transport}`, '', ...traitRows(traits), '');
    return lines;
  });
  return [...summary, '', ...sections].join('\n').trimEnd();
}

/** docs/model.md's rule catalogue: each rule, linked to its page. */
export function modelRulesTable(): string {
  const rows = allRules.map(
    (rule) =>
      `| [\`${rule.meta.id}\`](rules/${rule.meta.id}.md) | ${toFileSeverity(rule.meta.defaultSeverity)} | ${rule.meta.description} |`,
  );
  return ['| rule | default | finds |', '|---|---|---|', ...rows].join('\n');
}

/** docs/model.md with its rule catalogue and per-library section regenerated. */
export function modelDoc(): Generated {
  const file = path.join(ROOT, 'docs/model.md');
  let text = fs.readFileSync(file, 'utf8');
  text = replaceBetween(text, 'model-rules', modelRulesTable());
  text = replaceBetween(text, 'library-traits', libraryTraitsSection());
  return { file, content: text };
}

export function docsIndex(): Generated {
  const lines = [
    '# delivery-lint rules',
    '',
    '<!-- Generated by `npm run generate` from the rule files in server/src/rules/. Do not edit. -->',
    '',
    ...allRules.flatMap((rule) => [
      `## [${rule.meta.id}](${rule.meta.id}.md)`,
      '',
      `Default: **${toFileSeverity(rule.meta.defaultSeverity)}**. ${rule.meta.description}`,
      '',
      rule.meta.rationale,
      '',
    ]),
  ];
  return { file: path.join(ROOT, 'docs/rules/README.md'), content: lines.join('\n') };
}

function replaceBetween(text: string, marker: string, body: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`the file lacks the ${start} … ${end} markers`);
  return `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
}

export function readme(): Generated {
  const file = path.join(ROOT, 'README.md');
  let text = fs.readFileSync(file, 'utf8');
  text = replaceBetween(text, 'rules', rulesTable());
  text = replaceBetween(text, 'libraries', librariesTable());
  return { file, content: text };
}

// ---------------------------------------------------------------------------------------------
// The VS Code extension.

/** Titles of the commands in protocol.ts; a command without a title does not type-check. */
export const COMMAND_TITLES: Record<keyof typeof COMMANDS, string> = {
  explain: 'Explain Delivery Semantics',
  explainConsumer: 'Explain Consumer',
  restart: 'Restart Language Server',
  showOutput: 'Show Output',
  openConfig: 'Open Configuration File',
};

/** Commands that need arguments (the code lens passes them) stay out of the command palette. */
const COMMANDS_NEEDING_ARGUMENTS: (keyof typeof COMMANDS)[] = ['explainConsumer'];

export const GUARD_STRATEGIES: Record<string, string> = {
  redis:
    'Claim the message ID with Redis `SET NX` and a short lease, release the claim when processing fails, mark it done afterwards.',
  sql: 'Insert the message ID into a processed-events (inbox) table with a unique key, in the same transaction as the effects.',
  powertools: 'Wrap the handler with AWS Lambda Powertools `makeIdempotent`.',
  memory: 'An in-memory `Map`: for tests only, it forgets on restart and is not shared between instances.',
};

export const INJECTION_GRAMMAR = {
  scopeName: 'delivery-lint.comment-directives',
  path: './syntaxes/delivery-lint.injection.tmLanguage.json',
  injectTo: ['source.ts', 'source.tsx', 'source.js', 'source.js.jsx'],
};

export const CONFIG_SCHEMA_URL = './schemas/delivery-lint.config.schema.json';

export function extensionContributes(): Record<string, unknown> {
  const rules = Object.fromEntries(
    allRules.map((rule) => [
      rule.meta.id,
      {
        type: 'string',
        enum: [...SEVERITY_VALUES],
        enumDescriptions: ['Turn the rule off.', 'Report a warning.', 'Report an error.', 'Report information.'],
        default: toFileSeverity(rule.meta.defaultSeverity),
        markdownDescription: `${rule.meta.description} Default: \`${toFileSeverity(rule.meta.defaultSeverity)}\`. [Documentation](${rule.meta.docsUrl})`,
      },
    ]),
  );
  const commandEntries = Object.entries(COMMANDS) as [keyof typeof COMMANDS, string][];
  return {
    configuration: {
      title: 'delivery-lint',
      properties: {
        [`${SETTINGS_SECTION}.enable`]: {
          type: 'boolean',
          default: true,
          order: 0,
          description: 'Analyse message consumers in TypeScript and JavaScript files and report delivery problems.',
        },
        [`${SETTINGS_SECTION}.rules`]: {
          type: 'object',
          default: {},
          order: 1,
          additionalProperties: false,
          markdownDescription:
            "Severity per rule, over the `rules` of `delivery-lint.config.json`. A rule not listed here keeps the config file's severity, or its default.",
          properties: rules,
        },
        [`${SETTINGS_SECTION}.guardStrategy`]: {
          type: ['string', 'null'],
          enum: [...Object.keys(GUARD_STRATEGIES), null],
          markdownEnumDescriptions: [
            ...Object.values(GUARD_STRATEGIES),
            'Use `guardStrategy` from `delivery-lint.config.json` (default `redis`).',
          ],
          default: null,
          order: 2,
          markdownDescription:
            'How the "insert a dedup guard" quick-fix of `missing-event-id-check` records processed message IDs. Unset: the project\'s `delivery-lint.config.json` decides.',
        },
        [`${SETTINGS_SECTION}.trace.server`]: {
          type: 'string',
          enum: ['off', 'messages', 'verbose'],
          enumDescriptions: [
            'No tracing.',
            'Trace the names of requests and notifications.',
            'Trace every message with its parameters.',
          ],
          default: 'off',
          order: 3,
          scope: 'window',
          description:
            'Traces the communication between VS Code and the delivery-lint language server in the delivery-lint output.',
        },
      },
    },
    commands: commandEntries.map(([key, command]) => ({
      command,
      title: COMMAND_TITLES[key],
      category: 'delivery-lint',
    })),
    menus: {
      commandPalette: COMMANDS_NEEDING_ARGUMENTS.map((key) => ({ command: COMMANDS[key], when: 'false' })),
    },
    jsonValidation: [{ fileMatch: 'delivery-lint.config.json', url: CONFIG_SCHEMA_URL }],
    grammars: [INJECTION_GRAMMAR],
  };
}

export function activationEvents(): string[] {
  return [
    ...LANGUAGE_IDS.map((language) => `onLanguage:${language}`),
    'workspaceContains:**/delivery-lint.config.json',
  ];
}

/** package.json with its `contributes` and `activationEvents` regenerated; other fields untouched. */
export function packageJson(): Generated {
  const file = path.join(ROOT, 'package.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  manifest.activationEvents = activationEvents();
  manifest.contributes = extensionContributes();
  return { file, content: `${JSON.stringify(manifest, null, 2)}\n` };
}

/** The rule metadata the explainer panel shows, without bundling the rules into the client. */
export function clientRules(): Generated {
  const rules = allRules.map(({ meta }) => ({
    id: meta.id,
    defaultSeverity: meta.defaultSeverity,
    description: meta.description,
    rationale: meta.rationale,
    docsUrl: meta.docsUrl,
  }));
  const content = [
    '// Generated by `npm run generate` from the rule files in server/src/rules/. Do not edit.',
    "import type { RuleInfo } from '../panel/panel-data';",
    '',
    `export const RULES: readonly RuleInfo[] = ${JSON.stringify(rules, null, 2)};`,
    '',
  ].join('\n');
  return { file: path.join(ROOT, 'client/src/generated/rules.ts'), content };
}

export function allGenerated(): Generated[] {
  return [schemaFile(), docsIndex(), readme(), modelDoc(), packageJson(), clientRules()];
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const { file, content } of allGenerated()) {
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    if (current === content) continue;
    if (check) {
      console.error(`${path.relative(ROOT, file)} is out of date: run npm run generate`);
      stale++;
    } else {
      fs.writeFileSync(file, content);
      console.log(`wrote ${path.relative(ROOT, file)}`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}
