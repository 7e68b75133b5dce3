/**
 * The explainer panel's HTML, as a pure function of its data: no `vscode` import, so it is
 * unit-tested in plain Node.
 *
 * Security: every string that can come from the workspace (labels, queue names, file paths,
 * diagnostic messages, handler names) goes through `escapeHtml`, and none of it is ever placed
 * inside the <script> or <style> elements. The Content-Security-Policy allows nothing but the
 * one nonce'd stylesheet and script of this page: no remote content, no inline handlers.
 * The page sends back only indexes (`data-reveal`, `data-consumer`); the extension maps them to
 * the locations it keeps, so a message from the page never names a file.
 */
import type {
  CrashOutcome,
  CrashOutcomeKind,
  CrashTimeline,
  EffectClass,
  Semantics,
  TimelineStep,
} from '../../../server/src/model';
import type { PanelConsumer, PanelData, PanelDiagnostic, PanelLocation, RuleInfo } from './panel-data';

export interface PanelView {
  html: string;
  /** The locations the page's reveal buttons point at, by `data-reveal` index. */
  targets: PanelLocation[];
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in element content and in double-quoted attribute values. */
export function escapeHtml(value: string | number | boolean | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (character) => ESCAPES[character]);
}

/** A nonce is only ever letters and digits; anything else would break out of the CSP. */
function checkedNonce(nonce: string): string {
  if (!/^[A-Za-z0-9]{16,}$/.test(nonce)) throw new Error('the panel nonce must be 16 or more letters and digits');
  return nonce;
}

export function contentSecurityPolicy(nonce: string): string {
  const n = checkedNonce(nonce);
  return [
    "default-src 'none'",
    `style-src 'nonce-${n}'`,
    `script-src 'nonce-${n}'`,
    "img-src 'none'",
    "font-src 'none'",
    "connect-src 'none'",
    "media-src 'none'",
    "frame-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

// ---------------------------------------------------------------------------------------------
// The general explanation, in our own words (docs/model.md, "Semantics", is the reference).

interface SemanticsCard {
  id: 'at-most-once' | 'at-least-once' | 'exactly-once';
  title: string;
  guarantee: string;
  duplicates: string;
  loss: string;
  use: string;
  note?: string;
}

const SEMANTICS: SemanticsCard[] = [
  {
    id: 'at-most-once',
    title: 'At-most-once',
    guarantee: 'Each message reaches the consumer once or not at all; nothing is retried.',
    duplicates: 'Never.',
    loss: 'Yes. The message counts as delivered before the work is done, so a crash, timeout or error during the work drops it for good.',
    use: 'Data that loses its value quickly or is sampled anyway: logs, metrics, telemetry, presence updates.',
  },
  {
    id: 'at-least-once',
    title: 'At-least-once',
    guarantee:
      'The broker redelivers a message until the consumer acknowledges it, so every message is processed one or more times.',
    duplicates:
      'Yes. A crash before the ack, an expired visibility timeout or lease, a consumer-group rebalance or a lost ack all bring the message back.',
    loss: 'No, as long as the consumer acknowledges only after its work has completed.',
    use: 'Most business events (orders, notifications, payments), paired with an idempotent consumer.',
  },
  {
    id: 'exactly-once',
    title: 'Exactly-once',
    guarantee: "Every message changes the system's state exactly one time.",
    duplicates: 'No.',
    loss: 'No.',
    use: 'Ledgers, billing, inventory counts: anything where one repeat or one gap is a visible error.',
    note: 'No broker can promise this for arbitrary side effects on its own. In practice it is either at-least-once delivery plus an idempotent consumer ("effectively once"), or a transaction that covers both the output and the consumed position (Kafka consume-transform-produce). Both cost latency and complexity.',
  },
];

function semanticsSection(consumer: PanelConsumer | undefined): string {
  const current = consumer ? semanticsFamily(consumer.effectiveSemantics) : undefined;
  const cards = SEMANTICS.map((card) => {
    const mark = current === card.id ? ' <span class="badge">this consumer</span>' : '';
    return `<section class="card" id="semantics-${card.id}" aria-labelledby="semantics-${card.id}-heading">
<h3 id="semantics-${card.id}-heading">${card.title}${mark}</h3>
<dl>
<dt>Guarantee</dt><dd>${card.guarantee}</dd>
<dt>Duplicates</dt><dd>${card.duplicates}</dd>
<dt>Loss</dt><dd>${card.loss}</dd>
<dt>Typical use</dt><dd>${card.use}</dd>
</dl>${card.note ? `\n<p class="note">${card.note}</p>` : ''}
</section>`;
  });
  return `<section aria-labelledby="semantics-heading">
<h2 id="semantics-heading">The three delivery semantics</h2>
<div class="cards">
${cards.join('\n')}
</div>
</section>`;
}

function semanticsFamily(semantics: Semantics): SemanticsCard['id'] {
  return semantics === 'effectively-once' ? 'exactly-once' : semantics;
}

const CHOOSING = `<section aria-labelledby="choosing-heading">
<h2 id="choosing-heading">How to choose</h2>
<ol>
<li><strong>Can you afford to lose a message?</strong> Then at-most-once is the simplest and fastest: acknowledge on receipt and never retry.</li>
<li><strong>Must nothing be lost, and can repeats be tolerated or made harmless?</strong> Use at-least-once: acknowledge only after the work has completed, and make the consumer idempotent.</li>
<li><strong>Are neither losses nor repeats acceptable?</strong> You need exactly-once processing: at-least-once plus idempotency for anything that touches databases or outside services, or a Kafka transaction for topic-to-topic work. Expect extra latency and moving parts.</li>
</ol>
<p>Kafka, RabbitMQ, SQS and most other brokers deliver at-least-once by default, so assume every message can arrive twice.</p>
</section>`;

const IDEMPOTENCY = `<section aria-labelledby="idempotency-heading">
<h2 id="idempotency-heading">Building an idempotent consumer</h2>
<ol>
<li><strong>A unique event ID.</strong> The producer gives every event an ID when the event is created and reuses it on retries; a stable broker message ID or a business key (an order ID) works too. An ID made fresh in the handler changes on every delivery and identifies nothing.</li>
<li><strong>A durable record of processed IDs.</strong> A table with a unique key, or a Redis key, that survives restarts and is shared by every instance of the consumer. An in-memory set forgets on restart and is not shared.</li>
<li><strong>An atomic check-and-record.</strong> Claim the ID in a single operation (<code>INSERT … ON CONFLICT DO NOTHING</code> and check the row count, or Redis <code>SET key value NX</code> and check the reply), ideally in the same database transaction as the handler's writes. Reading "was it processed?" and later writing "processed" as two steps lets two deliveries race past the check, and a crash between the work and the record repeats the work.</li>
<li><strong>Release on failure.</strong> If the work fails, delete the claim (or let a short lease expire) so the retry is not skipped; mark the ID done once the work has completed.</li>
<li><strong>Acknowledge last,</strong> after the work and the record.</li>
</ol>
<p>Alternatively, make each effect idempotent by itself: an upsert or a conflict-ignoring insert instead of a plain insert, an absolute update instead of an increment, an idempotency key derived from the event ID on a payment or HTTP call.</p>
</section>`;

// ---------------------------------------------------------------------------------------------
// The selected consumer.

const ACK_MODES: Record<string, string> = {
  explicit: 'the code must acknowledge (ack, commit or delete) the message itself.',
  'implicit-after-return':
    "the library acknowledges the message when the handler's promise resolves, so the handler must not return before its work is done.",
  'auto-before-handler': 'the library acknowledges the message before the handler runs: at-most-once by construction.',
};

const SEMANTICS_MEANING: Record<Semantics, string> = {
  'at-most-once': 'a failure during processing loses the message.',
  'at-least-once': 'a redelivery repeats the duplicate-unsafe effects.',
  'effectively-once':
    'delivered at least once, and every duplicate-unsafe effect is deduplicated by the message identity.',
  'exactly-once': 'the output and the consumed offsets commit in one transaction.',
};

const EFFECT_CLASSES: Record<EffectClass, string> = {
  'duplicate-unsafe': 'duplicate-unsafe',
  idempotent: 'idempotent',
  ack: 'ack',
  'dedup-check': 'dedup check',
  'dedup-record': 'dedup record',
  read: 'read',
  unknown: 'unknown',
};

const EFFECT_CLASS_HELP: Record<EffectClass, string> = {
  'duplicate-unsafe': 'running it twice does harm',
  idempotent: 'safe to repeat',
  ack: 'settles the message',
  'dedup-check': 'checks the message identity',
  'dedup-record': 'records the message identity',
  read: 'reads only',
  unknown: 'not classified',
};

class Targets {
  readonly list: PanelLocation[] = [];

  add(location: PanelLocation): number {
    this.list.push({
      filePath: location.filePath,
      line: location.line,
      column: location.column,
      endLine: location.endLine,
      endColumn: location.endColumn,
    });
    return this.list.length - 1;
  }
}

function displayPath(filePath: string, roots: readonly string[] | undefined): string {
  const normalized = filePath.replace(/\\/g, '/');
  for (const root of [...(roots ?? [])].sort((a, b) => b.length - a.length)) {
    const prefix = root.replace(/\\/g, '/').replace(/\/$/, '') + '/';
    if (normalized.startsWith(prefix)) return normalized.slice(prefix.length);
  }
  return normalized;
}

interface Context {
  targets: Targets;
  roots?: readonly string[];
  /** The file of the consumer: locations in it are shown by line only. */
  home?: string;
}

/** A button that asks the extension to open the location; its text says where. */
function revealButton(context: Context, location: PanelLocation, what: string): string {
  const index = context.targets.add(location);
  const where =
    location.filePath === context.home
      ? `line ${location.line}`
      : `${displayPath(location.filePath, context.roots)}:${location.line}`;
  return `<button type="button" class="reveal" data-reveal="${index}" title="Go to ${escapeHtml(what)}" aria-label="Go to ${escapeHtml(what)}, ${escapeHtml(where)}">${escapeHtml(where)}</button>`;
}

function via(chain: { callee: string }[]): string {
  return chain.length
    ? ` <span class="muted">via ${chain.map((link) => `<code>${escapeHtml(link.callee)}</code>`).join(' → ')}</span>`
    : '';
}

function effectItem(context: Context, effect: PanelConsumer['effects'][number]): string {
  const { description } = effect;
  const details: string[] = [];
  if (description.onDuplicate) details.push(`On a duplicate: ${escapeHtml(description.onDuplicate)}.`);
  if (effect.keyedByMessage) details.push('Its own key comes from the message, so a repeat is deduplicated.');
  return `<li class="effect effect-${escapeHtml(description.class)}">
<span class="tag tag-${escapeHtml(description.class)}" title="${escapeHtml(EFFECT_CLASS_HELP[description.class] ?? '')}">${escapeHtml(EFFECT_CLASSES[description.class] ?? description.class)}</span>
<span class="label">${escapeHtml(description.label)}</span>${via(effect.chain)}
${revealButton(context, effect.location, description.label)}${details.length ? `\n<div class="detail">${details.join(' ')}</div>` : ''}
</li>`;
}

function guardItem(context: Context, guard: PanelConsumer['guards'][number]): string {
  const facts = [
    guard.keyedByIdentity ? 'keyed by the message identity' : 'not keyed by the message identity',
    guard.scope === 'message' ? 'skips the whole message when seen' : 'gates one write',
  ];
  const invalid = guard.invalidReason
    ? `\n<div class="detail warn">Does not count: ${escapeHtml(guard.invalidReason)}.</div>`
    : '';
  return `<li class="guard">
<span class="tag">${escapeHtml(guard.kind)}</span>
<span class="label">${escapeHtml(guard.label)}</span>${via(guard.chain)}
${revealButton(context, guard.location, guard.label)}
<div class="detail">${facts.join('; ')}.</div>${invalid}
</li>`;
}

function settleItem(context: Context, settle: PanelConsumer['settles'][number]): string {
  return `<li class="settle">
<span class="tag">${escapeHtml(settle.kind)}</span>
<span class="label">${escapeHtml(settle.label)}</span>${via(settle.chain)}
${revealButton(context, settle.location, settle.label)}
</li>`;
}

// ---------------------------------------------------------------------------------------------
// The crash timeline: the main path's steps, with what a failure between two of them leads to.

const OUTCOME_WORDS: Record<CrashOutcomeKind, string> = { safe: 'Safe', duplicate: 'Duplicate', lost: 'Lost' };
/** Shapes that tell the outcomes apart without colour; the word says it too. */
const OUTCOME_ICONS: Record<CrashOutcomeKind, string> = { safe: '✓', duplicate: '×2', lost: '✗' };

const STEP_WORDS: Record<TimelineStep['kind'], string> = {
  receive: 'receive',
  guard: 'guard',
  effect: 'effect',
  record: 'record',
  commit: 'commit',
  settle: 'settle',
  return: 'return',
};

function outcomeKind(kind: string): CrashOutcomeKind {
  return kind === 'duplicate' || kind === 'lost' ? kind : 'safe';
}

function stepItem(context: Context, step: TimelineStep): string {
  const link = step.location ? ` ${revealButton(context, step.location, step.label)}` : '';
  const facts = [step.detail, step.unawaited ? 'not awaited' : ''].filter((fact) => fact);
  return `<li class="step step-${escapeHtml(step.kind)}" id="timeline-step-${escapeHtml(step.index)}">
<span class="step-index" aria-label="Step ${escapeHtml(step.index)}">${escapeHtml(step.index)}</span>
<span class="tag">${escapeHtml(STEP_WORDS[step.kind] ?? step.kind)}</span>
<span class="label">${escapeHtml(step.label)}</span>${step.chain ? via(step.chain) : ''}${link}${facts.length ? `\n<div class="detail">${escapeHtml(facts.join('; '))}</div>` : ''}
</li>`;
}

function sameOutcome(a: CrashOutcome, b: CrashOutcome): boolean {
  return shownKind(a) === shownKind(b) && a.summary === b.summary;
}

/**
 * The badge an outcome gets, read from what its text says: an effect that never happens is
 * "Lost", one that runs twice "Duplicate", and only an outcome with neither is "Safe". The summary
 * is written from the same lists, so a badge never contradicts the sentence beside it.
 */
function shownKind(outcome: CrashOutcome): CrashOutcomeKind {
  if (outcome.lost.length) return 'lost';
  if (outcome.duplicates.length) return 'duplicate';
  return 'safe';
}

function outcomeBadge(kind: CrashOutcomeKind, what: string): string {
  return `<span class="outcome-badge outcome-${kind}" title="${escapeHtml(what)}"><span aria-hidden="true">${OUTCOME_ICONS[kind]}</span> ${OUTCOME_WORDS[kind]}</span>`;
}

function crashPointItem(timeline: CrashTimeline, index: number): string {
  const point = timeline.points[index];
  const kind = shownKind(point.crash);
  const after = timeline.steps[index];
  const next = point.before !== undefined ? timeline.steps[point.before] : undefined;
  const where = next ? `between step ${index} and step ${next.index}` : `after step ${index}, the last`;
  let error = '';
  if (point.error && next) {
    const errorKind = shownKind(point.error);
    // Each outcome has its badge beside its own sentence: a safe crash next to an error that loses the message shows both.
    error = sameOutcome(point.crash, point.error)
      ? `\n<div class="detail">If ${escapeHtml(next.label)} throws instead: the same (${OUTCOME_WORDS[errorKind].toLowerCase()}).</div>`
      : `\n<div class="detail error-outcome">${outcomeBadge(errorKind, `if ${next.label} throws`)} If ${escapeHtml(next.label)} throws instead: ${escapeHtml(point.error.summary)}. ${escapeHtml(point.error.explanation)}</div>`;
  }
  return `<li class="crash-point crash-${kind}" aria-label="Crash point ${escapeHtml(where)}: ${OUTCOME_WORDS[kind]}">
${outcomeBadge(kind, `if the process dies after ${after?.label ?? `step ${index}`}`)}
<span>If the process dies after ${escapeHtml(after?.label ?? `step ${index}`)}: ${escapeHtml(point.crash.summary)}.</span>
<div class="detail">${escapeHtml(point.crash.explanation)}</div>${error}
</li>`;
}

function timelineSection(context: Context, consumer: PanelConsumer): string {
  const timeline = consumer.timeline;
  if (!timeline || !timeline.steps.length) return '';
  const items: string[] = [];
  timeline.steps.forEach((step, index) => {
    items.push(stepItem(context, step));
    if (timeline.points[index]) items.push(crashPointItem(timeline, index));
  });
  const worst = timeline.worst;
  const worstKind = outcomeKind(worst.kind);
  const worstText =
    worstKind === 'safe'
      ? 'no crash or error point duplicates or loses anything.'
      : `${escapeHtml(worst.summary)} (${escapeHtml(worst.cause === 'error' ? 'an error' : 'a crash')} after step ${escapeHtml(worst.point)}).`;
  const concurrency = timeline.concurrency;
  const concurrencyWord = concurrency.kind === 'not-applicable' ? 'not applicable' : concurrency.kind;
  const notes = timeline.notes.map((note) => `<p class="notice warn">${escapeHtml(note)}</p>`).join('\n');
  return `<section aria-labelledby="timeline-heading">
<h3 id="timeline-heading">Crash timeline</h3>
<p class="detail">The handler's main path, step by step. Between two steps: what happens if the process dies there, or if the next step throws, once the broker has redelivered the message (or not).</p>
<p>Worst: <strong class="outcome-text outcome-${worstKind}">${OUTCOME_WORDS[worstKind].toLowerCase()}</strong>: ${worstText}</p>
${notes}
<ol class="timeline">
${items.join('\n')}
</ol>
<p>Two copies at once: <strong>${escapeHtml(concurrencyWord)}</strong>. ${escapeHtml(concurrency.text)}</p>
</section>`;
}

const SEVERITY_WORDS: Record<PanelDiagnostic['severity'], string> = {
  error: 'Error',
  warning: 'Warning',
  info: 'Info',
  hint: 'Hint',
};

function safeLink(url: string, text: string): string {
  return /^https:\/\//.test(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(text)}</a>` : escapeHtml(text);
}

function findingsSection(context: Context, diagnostics: PanelDiagnostic[], rules: readonly RuleInfo[]): string {
  if (!diagnostics.length) {
    return `<section aria-labelledby="findings-heading">
<h3 id="findings-heading">Findings</h3>
<p>No delivery-lint findings for this consumer.</p>
</section>`;
  }
  const items = diagnostics.map(
    (diagnostic) => `<li class="finding severity-${escapeHtml(diagnostic.severity)}">
<span class="tag tag-${escapeHtml(diagnostic.severity)}">${SEVERITY_WORDS[diagnostic.severity] ?? escapeHtml(diagnostic.severity)}</span>
<code>${escapeHtml(diagnostic.ruleId)}</code>: ${escapeHtml(diagnostic.message)}
${revealButton(context, diagnostic.location, `${diagnostic.ruleId} finding`)}
</li>`,
  );
  const ruleIds = [...new Set(diagnostics.map((diagnostic) => diagnostic.ruleId))];
  const meanings = ruleIds.map((id) => {
    const rule = rules.find((candidate) => candidate.id === id);
    if (!rule) return `<dt><code>${escapeHtml(id)}</code></dt><dd>No description available.</dd>`;
    return `<dt><code>${escapeHtml(rule.id)}</code></dt><dd>${escapeHtml(rule.description)} ${escapeHtml(rule.rationale)} ${safeLink(rule.docsUrl, `Read the ${rule.id} docs`)}</dd>`;
  });
  return `<section aria-labelledby="findings-heading">
<h3 id="findings-heading">Findings (${diagnostics.length})</h3>
<ul class="items">
${items.join('\n')}
</ul>
<h4>What they mean</h4>
<dl class="meanings">
${meanings.join('\n')}
</dl>
</section>`;
}

function list<T>(heading: string, id: string, items: T[], empty: string, item: (value: T) => string): string {
  return `<section aria-labelledby="${id}">
<h3 id="${id}">${heading}${items.length ? ` (${items.length})` : ''}</h3>
${items.length ? `<ul class="items">\n${items.map(item).join('\n')}\n</ul>` : `<p>${empty}</p>`}
</section>`;
}

function consumerTitle(consumer: PanelConsumer): string {
  const { registration } = consumer;
  return registration.source
    ? `${registration.packageName ?? registration.libraryDisplayName} consumer of ${registration.source}`
    : `${registration.packageName ?? registration.libraryDisplayName} consumer ${consumer.handlerName}`;
}

function consumerSection(context: Context, data: PanelData, consumer: PanelConsumer): string {
  const { registration } = consumer;
  const notes: string[] = [];
  if (consumer.incomplete)
    notes.push(
      `<p class="notice warn">The analysis could not see all of this handler (${escapeHtml(consumer.incomplete)}), so its rules stay quiet.</p>`,
    );
  if (consumer.vouchedIdempotent)
    notes.push(
      `<p class="notice">The handler is vouched for as idempotent: ${escapeHtml(consumer.vouchedIdempotent)}</p>`,
    );
  if (consumer.declaredSemanticsOverride)
    notes.push(
      `<p class="notice">Declared <strong>${escapeHtml(consumer.declaredSemanticsOverride)}</strong> on purpose (annotation or config).</p>`,
    );
  const same = consumer.declaredSemantics === consumer.effectiveSemantics;
  const reasons = consumer.semanticsReasons.length
    ? `<ul>\n${consumer.semanticsReasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('\n')}\n</ul>`
    : '';
  return `<section class="consumer" aria-labelledby="consumer-heading">
<h2 id="consumer-heading">${escapeHtml(consumerTitle(consumer))}</h2>
${notes.join('\n')}
<dl class="facts">
<dt>Library</dt><dd>${escapeHtml(registration.packageName ?? registration.libraryDisplayName)} <span class="muted">(${escapeHtml(registration.form)})</span> ${revealButton(context, registration.location, 'the registration')}</dd>
<dt>Queue / topic</dt><dd>${registration.source ? `<code>${escapeHtml(registration.source)}</code>` : 'not a static string'}</dd>
<dt>Handler</dt><dd><code>${escapeHtml(consumer.handlerName)}</code> ${revealButton(context, consumer.handlerLocation, 'the handler')}</dd>
<dt>Ack mode</dt><dd><strong>${escapeHtml(registration.ackMode)}</strong>: ${escapeHtml(ACK_MODES[registration.ackMode] ?? '')}${registration.ackModeLocation ? ` ${revealButton(context, registration.ackModeLocation, 'the ack mode option')}` : ''}</dd>
<dt>Message identity</dt><dd><code>${escapeHtml(consumer.identityExpression ?? consumer.identityHint)}</code></dd>
</dl>
<section aria-labelledby="verdict-heading">
<h3 id="verdict-heading">Semantics</h3>
<div class="verdict">
<div class="semantics"><span class="muted">Declared</span> <strong>${escapeHtml(consumer.declaredSemantics)}</strong><div class="detail">What the broker and the ack mode give: ${escapeHtml(SEMANTICS_MEANING[consumer.declaredSemantics] ?? '')}</div></div>
<div class="semantics ${same ? '' : 'differs'}"><span class="muted">Effective</span> <strong>${escapeHtml(consumer.effectiveSemantics)}</strong><div class="detail">What the code achieves: ${escapeHtml(SEMANTICS_MEANING[consumer.effectiveSemantics] ?? '')}</div></div>
</div>
${reasons}
</section>
${timelineSection(context, consumer)}
${list('Effects', 'effects-heading', consumer.effects, 'The handler reaches no effects.', (effect) => effectItem(context, effect))}
${list('Dedup guards', 'guards-heading', consumer.guards, 'No dedup guard: nothing checks whether this message was processed before.', (guard) => guardItem(context, guard))}
${list('Acks and settles', 'settles-heading', consumer.settles, registration.ackMode === 'explicit' ? 'No ack found in the handler.' : 'None in the code: the library settles the message.', (settle) => settleItem(context, settle))}
${findingsSection(context, data.diagnostics, data.rules)}
</section>`;
}

function consumerSwitcher(data: PanelData): string {
  if (data.consumers.length < 2) return '';
  const buttons = data.consumers.map((consumer, index) => {
    const current = data.consumer?.id === consumer.id;
    return `<li><button type="button" data-consumer="${index}"${current ? ' aria-current="true" disabled' : ''}>${escapeHtml(consumerTitle(consumer))} <span class="muted">line ${consumer.registration.location.line}</span></button></li>`;
  });
  return `<nav aria-label="Consumers in this file">
<h2 class="small">Consumers in this file</h2>
<ul class="switcher">
${buttons.join('\n')}
</ul>
</nav>`;
}

// ---------------------------------------------------------------------------------------------

const STYLE = `
:root { color-scheme: light dark; }
body {
  color: var(--vscode-foreground);
  background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family);
  font-size: var(--vscode-font-size);
  line-height: 1.5;
  padding: 0 1.25em 2em;
  max-width: 60em;
}
h1 { font-size: 1.5em; margin: 0.8em 0 0.2em; }
h2 { font-size: 1.25em; margin: 1.4em 0 0.4em; border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-contrastBorder, transparent)); padding-bottom: 0.2em; }
h2.small { font-size: 1em; border: none; }
h3 { font-size: 1.05em; margin: 1.1em 0 0.3em; }
h4 { font-size: 1em; margin: 0.8em 0 0.2em; }
a { color: var(--vscode-textLink-foreground); }
a:hover { color: var(--vscode-textLink-activeForeground); }
code { font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background); padding: 0 0.25em; border-radius: 3px; }
.muted, .detail { color: var(--vscode-descriptionForeground); }
.detail { font-size: 0.95em; margin-top: 0.15em; }
.warn { color: var(--vscode-editorWarning-foreground); }
.notice { border-left: 3px solid var(--vscode-textLink-foreground); padding: 0.3em 0.7em; background: var(--vscode-textBlockQuote-background); }
.notice.warn { border-left-color: var(--vscode-editorWarning-foreground); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25em 1em; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16em, 1fr)); gap: 0.8em; }
.card { border: 1px solid var(--vscode-panel-border, var(--vscode-contrastBorder, transparent)); border-radius: 4px; padding: 0 0.9em 0.6em; }
.card dt { font-weight: 600; margin-top: 0.4em; }
.card dd { margin: 0; }
.verdict { display: flex; flex-wrap: wrap; gap: 0.8em; }
.semantics { border: 1px solid var(--vscode-panel-border, var(--vscode-contrastBorder, transparent)); border-radius: 4px; padding: 0.4em 0.8em; flex: 1 1 14em; }
.semantics.differs { border-color: var(--vscode-editorWarning-foreground); }
ul.items { list-style: none; padding: 0; }
ul.items > li { padding: 0.35em 0; border-bottom: 1px solid var(--vscode-panel-border, transparent); }
.tag, .badge { display: inline-block; font-size: 0.85em; padding: 0 0.5em; border-radius: 2px; margin-right: 0.4em;
  background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); border: 1px solid var(--vscode-contrastBorder, transparent); }
.tag-duplicate-unsafe, .tag-error { background: var(--vscode-inputValidation-errorBackground, var(--vscode-badge-background)); color: var(--vscode-foreground); border-color: var(--vscode-inputValidation-errorBorder, var(--vscode-editorError-foreground)); }
.tag-warning { background: var(--vscode-inputValidation-warningBackground, var(--vscode-badge-background)); color: var(--vscode-foreground); border-color: var(--vscode-inputValidation-warningBorder, var(--vscode-editorWarning-foreground)); }
.tag-idempotent { border-color: var(--vscode-testing-iconPassed, var(--vscode-contrastBorder, transparent)); }
button {
  font: inherit; color: var(--vscode-button-secondaryForeground, var(--vscode-foreground));
  background: var(--vscode-button-secondaryBackground, transparent);
  border: 1px solid var(--vscode-button-border, var(--vscode-contrastBorder, transparent));
  border-radius: 2px; padding: 0.1em 0.6em; cursor: pointer;
}
button:hover { background: var(--vscode-button-secondaryHoverBackground, var(--vscode-toolbar-hoverBackground)); }
button:disabled { cursor: default; opacity: 0.75; }
button.reveal { background: none; border: none; padding: 0 0.2em; color: var(--vscode-textLink-foreground); text-decoration: underline; }
button.reveal:hover { color: var(--vscode-textLink-activeForeground); }
button.primary { background: var(--vscode-button-background); color: var(--vscode-button-foreground); }
button.primary:hover { background: var(--vscode-button-hoverBackground); }
:focus-visible, button:focus-visible, a:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
ul.switcher { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.4em; }
.toolbar { display: flex; gap: 0.5em; margin: 0.4em 0 0.8em; }
ol.timeline { list-style: none; margin: 0.5em 0; padding: 0 0 0 1.1em; border-left: 2px solid var(--vscode-panel-border, var(--vscode-contrastBorder, currentColor)); }
ol.timeline > li { position: relative; padding: 0.3em 0; }
ol.timeline > li.step::before { content: ''; position: absolute; left: -1.55em; top: 0.65em; width: 0.75em; height: 0.75em; border-radius: 50%;
  background: var(--vscode-editor-background); border: 2px solid var(--vscode-textLink-foreground); }
.step-index { display: inline-block; min-width: 1.4em; font-variant-numeric: tabular-nums; color: var(--vscode-descriptionForeground); }
ol.timeline > li.crash-point { margin-left: 0.4em; padding-left: 0.8em; border-left: 3px dashed var(--vscode-panel-border, var(--vscode-contrastBorder, currentColor)); }
ol.timeline > li.crash-duplicate { border-left-color: var(--vscode-editorWarning-foreground); }
ol.timeline > li.crash-lost { border-left-color: var(--vscode-editorError-foreground); }
ol.timeline > li.crash-safe { border-left-color: var(--vscode-testing-iconPassed, var(--vscode-panel-border, currentColor)); }
.outcome-badge { display: inline-block; font-size: 0.85em; font-weight: 600; padding: 0 0.5em; margin-right: 0.4em; border-radius: 2px; border: 1px solid; color: var(--vscode-foreground); }
.outcome-badge.outcome-safe { border-color: var(--vscode-testing-iconPassed, var(--vscode-contrastBorder, currentColor)); }
.outcome-badge.outcome-duplicate { border-color: var(--vscode-editorWarning-foreground); background: var(--vscode-inputValidation-warningBackground, transparent); }
.outcome-badge.outcome-lost { border-color: var(--vscode-editorError-foreground); background: var(--vscode-inputValidation-errorBackground, transparent); }
.outcome-text.outcome-duplicate { color: var(--vscode-editorWarning-foreground); }
.outcome-text.outcome-lost { color: var(--vscode-editorError-foreground); }
`;

/** The webview's script: turns clicks (mouse, Enter or Space on a button) into messages. */
const SCRIPT = `
(function () {
  const vscode = acquireVsCodeApi();
  document.addEventListener('click', function (event) {
    const element = event.target instanceof Element ? event.target.closest('[data-reveal],[data-consumer],[data-action]') : null;
    if (!element) return;
    event.preventDefault();
    if (element.hasAttribute('data-reveal')) vscode.postMessage({ type: 'reveal', target: Number(element.getAttribute('data-reveal')) });
    else if (element.hasAttribute('data-consumer')) vscode.postMessage({ type: 'select', consumer: Number(element.getAttribute('data-consumer')) });
    else if (element.getAttribute('data-action') === 'refresh') vscode.postMessage({ type: 'refresh' });
    else if (element.getAttribute('data-action') === 'showOutput') vscode.postMessage({ type: 'showOutput' });
  });
})();
`;

/** Renders the panel and returns the locations its reveal buttons refer to. */
export function buildView(data: PanelData): PanelView {
  const nonce = checkedNonce(data.nonce);
  const consumer = data.consumer;
  const context: Context = {
    targets: new Targets(),
    roots: data.roots,
    home: consumer?.registration.location.filePath,
  };
  const notice = data.notice ? `<p class="notice" role="status">${escapeHtml(data.notice)}</p>` : '';
  const body = [
    `<header>\n<h1>Delivery semantics</h1>\n<div class="toolbar"><button type="button" class="primary" data-action="refresh">Refresh</button><button type="button" data-action="showOutput">Show output</button></div>\n</header>`,
    '<main>',
    notice,
    consumerSwitcher(data),
    consumer ? consumerSection(context, data, consumer) : '',
    semanticsSection(consumer),
    CHOOSING,
    IDEMPOTENCY,
    '</main>',
  ]
    .filter((part) => part)
    .join('\n');
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(consumer ? `delivery-lint: ${consumerTitle(consumer)}` : 'delivery-lint: delivery semantics')}</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
${body}
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
  return { html, targets: context.targets.list };
}

/** The panel's HTML for `data`. */
export function render(data: PanelData): string {
  return buildView(data).html;
}
