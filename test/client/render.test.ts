import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CrashOutcome, CrashTimeline, SourceLocation } from '../../server/src/model';
import { KAFKA_TRAITS } from '../../server/src/analysis/libraries/kafkajs';
import { RULES } from '../../client/src/generated/rules';
import { buildView, escapeHtml, render } from '../../client/src/panel/render';
import { isPanelMessage, type PanelConsumer, type PanelData } from '../../client/src/panel/panel-data';

const NONCE = 'abcdefABCDEF0123456789';
const FILE = '/ws/src/orders/consumer.ts';
const HOSTILE = '<img src=x onerror=alert(1)>';
const BREAKOUT = '</script><script>alert(2)</script>';

function at(line: number, filePath = FILE): SourceLocation {
  return { filePath, start: line * 10, end: line * 10 + 5, line, column: 3, endLine: line, endColumn: 8 };
}

function outcome(kind: CrashOutcome['kind'], summary: string, explanation: string, step = 2): CrashOutcome {
  const ref = { effectId: 1, label: HOSTILE, step };
  return {
    kind,
    redelivered: kind !== 'lost',
    duplicates: kind === 'duplicate' ? [ref] : [],
    lost: kind === 'lost' ? [ref] : [],
    summary,
    explanation,
  };
}

/** A crash timeline as the server sends it: five steps, a crash point after each, hostile text in it. */
function timeline(): CrashTimeline {
  const safe = outcome('safe', 'nothing runs twice or is lost', 'Not settled: the broker redelivers it.');
  return {
    steps: [
      { index: 0, kind: 'receive', label: 'receive', detail: `eachMessage · orders${HOSTILE}`, location: at(5) },
      {
        index: 1,
        kind: 'guard',
        label: `redis.get ${HOSTILE}`,
        detail: 'check (then record)',
        location: at(6),
        guardId: 5,
      },
      {
        index: 2,
        kind: 'effect',
        label: HOSTILE,
        detail: 'duplicate-unsafe',
        location: at(12, '/ws/src/billing/charge.ts'),
        chain: [{ location: at(8), callee: `charge"${HOSTILE}` }],
        effectId: 1,
      },
      { index: 3, kind: 'settle', label: `commitOffsets ${HOSTILE}`, detail: 'commit', location: at(20), settleId: 4 },
      { index: 4, kind: 'return', label: 'return (kafkajs acks)', detail: 'implicit ack' },
    ],
    points: [
      { after: 0, before: 1, crash: safe, error: safe },
      {
        after: 1,
        before: 2,
        crash: safe,
        error: outcome('lost', `${HOSTILE} never happens`, `The catch ${BREAKOUT} settles it anyway.`),
      },
      {
        after: 2,
        before: 3,
        crash: outcome('duplicate', `${HOSTILE} runs twice`, `The check passes again ${BREAKOUT}.`),
        error: outcome('duplicate', `${HOSTILE} runs twice`, 'The error escapes the handler.'),
      },
      { after: 3, before: 4, crash: safe },
      { after: 4, crash: safe },
    ],
    concurrency: {
      kind: 'duplicate',
      duplicates: [{ effectId: 1, label: HOSTILE, step: 2 }],
      text: `Two copies can both pass redis.get ${HOSTILE}.`,
    },
    worst: { kind: 'lost', point: 1, cause: 'error', summary: `${HOSTILE} never happens` },
    notes: [`note ${BREAKOUT}`],
  };
}

function consumer(overrides: Partial<PanelConsumer> = {}): PanelConsumer {
  return {
    id: `${FILE}:4:3:kafkajs`,
    registration: {
      library: 'kafkajs',
      libraryDisplayName: 'kafkajs',
      traits: KAFKA_TRAITS,
      source: `orders${HOSTILE}`,
      location: at(4),
      ackMode: 'implicit-after-return',
      form: 'eachMessage',
    },
    handlerName: `handle${BREAKOUT}`,
    handlerLocation: at(5),
    handlerRange: { ...at(5), endLine: 30 },
    identityHint: 'topic + partition + message.offset',
    identityExpression: 'message.headers["event-id"]',
    effects: [
      {
        id: 1,
        description: {
          class: 'duplicate-unsafe',
          label: HOSTILE,
          onDuplicate: `charges ${BREAKOUT} twice`,
          category: 'payment',
          processing: true,
        },
        location: at(12, '/ws/src/billing/charge.ts'),
        chain: [{ location: at(8), callee: `charge"${HOSTILE}` }],
        handlerLocation: at(8),
        keyedByMessage: false,
      },
      {
        id: 2,
        description: { class: 'idempotent', label: BREAKOUT, category: 'sql', processing: true },
        location: at(9),
        chain: [],
        handlerLocation: at(9),
        keyedByMessage: false,
      },
      {
        id: 3,
        description: {
          class: 'duplicate-unsafe',
          label: 'INSERT into "orders" & \'items\'',
          category: 'sql',
          processing: true,
        },
        location: at(10),
        chain: [],
        handlerLocation: at(10),
        keyedByMessage: true,
      },
    ],
    settles: [
      {
        id: 4,
        kind: 'commit',
        label: `commitOffsets ${HOSTILE}`,
        location: at(20),
        chain: [],
        handlerLocation: at(20),
      },
    ],
    guards: [
      {
        id: 5,
        kind: 'check',
        label: `redis.get ${HOSTILE}`,
        location: at(6),
        keyedByIdentity: false,
        scope: 'message',
        invalidReason: `key made fresh with ${BREAKOUT}`,
        chain: [],
        handlerLocation: at(6),
      },
    ],
    declaredSemantics: 'at-least-once',
    effectiveSemantics: 'at-least-once',
    semanticsReasons: [`a redelivery charges again: ${HOSTILE}`],
    timeline: timeline(),
    ...overrides,
  };
}

function data(overrides: Partial<PanelData> = {}): PanelData {
  const selected = consumer();
  return {
    nonce: NONCE,
    consumer: selected,
    consumers: [
      selected,
      consumer({
        id: 'second',
        handlerName: 'other',
        registration: { ...selected.registration, source: `audit${HOSTILE}`, location: at(40) },
      }),
    ],
    diagnostics: [
      {
        ruleId: 'missing-event-id-check',
        severity: 'warning',
        message: `Unprotected ${HOSTILE} ${BREAKOUT}`,
        location: { filePath: FILE, line: 5, column: 3, endLine: 5, endColumn: 9 },
      },
    ],
    rules: RULES,
    roots: ['/ws'],
    notice: `notice ${HOSTILE}`,
    ...overrides,
  };
}

/** The HTML with the page's own <style> and <script> bodies removed: what is left is markup. */
function markup(html: string): string {
  return html
    .replace(/<style nonce="[^"]*">[\s\S]*?<\/style>/, '<style></style>')
    .replace(/<script nonce="[^"]*">[\s\S]*?<\/script>/, '<script></script>');
}

/** Every element's tag name and attribute names (values dropped: escaped text cannot hold a quote). */
function elements(html: string): { tag: string; attributes: string[] }[] {
  return (markup(html).match(/<[a-zA-Z][^>]*>/g) ?? []).map((tag) => {
    const bare = tag.replace(/"[^"]*"/g, '""');
    return {
      tag: /^<([a-zA-Z0-9]+)/.exec(bare)![1].toLowerCase(),
      attributes: [...bare.matchAll(/\s([^\s=>]+)(?==|\s|>)/g)].map((match) => match[1].toLowerCase()),
    };
  });
}

test('escapeHtml escapes the five HTML-significant characters', () => {
  assert.equal(
    escapeHtml(`<a href="x" onclick='y'>&</a>`),
    '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
  );
  assert.equal(escapeHtml(undefined), '');
});

test('workspace text is escaped everywhere: no hostile tag, attribute or script break-out survives', () => {
  const html = render(data());
  assert.ok(!html.includes(HOSTILE), 'a raw <img onerror> reached the page');
  assert.ok(!html.includes('<img'), 'an <img> element reached the page');
  assert.ok(!html.includes('</script><script>'), 'a </script> break-out reached the page');
  assert.ok(html.includes(escapeHtml(HOSTILE)), 'the hostile label is shown, escaped');
  assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;'), 'the break-out text is shown, escaped');
  // Exactly the page's own script and style elements, and no event-handler attributes.
  assert.equal(html.match(/<script\b/g)?.length, 1);
  assert.equal(html.match(/<\/script>/g)?.length, 1);
  assert.equal(html.match(/<style\b/g)?.length, 1);
  const parsed = elements(html);
  assert.ok(!parsed.some((element) => element.tag === 'img'), 'an <img> element reached the page');
  assert.deepEqual(
    parsed.flatMap((element) => element.attributes.filter((name) => name.startsWith('on'))),
    [],
    'an on* attribute reached the markup',
  );
  // Quotes in labels cannot close an attribute.
  assert.ok(!markup(html).includes('charge"<'), 'a quote in a callee closed an attribute');
  assert.ok(html.includes('INSERT into &quot;orders&quot; &amp; &#39;items&#39;'));
});

test('the Content-Security-Policy is strict: nonce for style and script, nothing else, no unsafe-inline', () => {
  const html = render(data());
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(meta, 'CSP meta tag missing');
  const policy = Object.fromEntries(
    meta[1]
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values]),
  );
  assert.deepEqual(policy['default-src'], ["'none'"]);
  assert.deepEqual(policy['script-src'], [`'nonce-${NONCE}'`]);
  assert.deepEqual(policy['style-src'], [`'nonce-${NONCE}'`]);
  assert.ok(!meta[1].includes('unsafe-inline') && !meta[1].includes('unsafe-eval'));
  assert.ok(!/https?:|\*/.test(meta[1]), 'the policy allows remote content');
  assert.ok(html.includes(`<script nonce="${NONCE}">`));
  assert.ok(html.includes(`<style nonce="${NONCE}">`));
  // No remote content and no inline style attributes (they would need 'unsafe-inline').
  const parsed = elements(html);
  assert.deepEqual(
    parsed.filter((element) => ['img', 'link', 'iframe', 'object', 'embed', 'base', 'form'].includes(element.tag)),
    [],
  );
  assert.deepEqual(
    parsed.filter((element) =>
      element.attributes.some((name) => ['src', 'srcset', 'style', 'action', 'formaction'].includes(name)),
    ),
    [],
  );
  assert.deepEqual(
    [...new Set(parsed.map((element) => element.tag))].filter((tag) => tag === 'script' || tag === 'style').sort(),
    ['script', 'style'],
  );
});

test('a nonce that could break out of the policy is refused', () => {
  assert.throws(() => render(data({ nonce: `abc'; script-src *` })));
  assert.throws(() => render(data({ nonce: 'short' })));
});

test('every effect, guard, settle and finding gets a reveal button, and the targets match', () => {
  const input = data();
  const view = buildView(input);
  const buttons = [
    ...view.html.matchAll(/<button type="button" class="reveal" data-reveal="(\d+)"[^>]*>([^<]*)<\/button>/g),
  ];
  assert.equal(buttons.length, view.targets.length, 'one target per reveal button');
  buttons.forEach((button, index) => assert.equal(Number(button[1]), index));
  const selected = input.consumer!;
  for (const effect of selected.effects) {
    const index = view.targets.findIndex(
      (target) => target.filePath === effect.location.filePath && target.line === effect.location.line,
    );
    assert.ok(index >= 0, `effect ${effect.id} has no reveal target`);
    const item = view.html.split('<li class="effect').find((chunk) => chunk.includes(`data-reveal="${index}"`));
    assert.ok(item, `effect ${effect.id} has no reveal button`);
  }
  for (const location of [...selected.guards, ...selected.settles].map((entry) => entry.location)) {
    assert.ok(view.targets.some((target) => target.line === location.line && target.filePath === location.filePath));
  }
  assert.ok(
    view.targets.some((target) => target.line === input.diagnostics[0].location.line),
    'the finding has a reveal button',
  );
  // Effects in another file show their workspace-relative path; those in the consumer's file the line.
  assert.ok(view.html.includes('>src/billing/charge.ts:12</button>'));
  assert.ok(view.html.includes('>line 9</button>'));
});

test('the three semantics, how to choose and the idempotent-consumer recipe are present', () => {
  for (const html of [render(data()), render(data({ consumer: undefined, consumers: [], diagnostics: [] }))]) {
    for (const id of ['at-most-once', 'at-least-once', 'exactly-once']) {
      assert.ok(html.includes(`id="semantics-${id}"`), `${id} section missing`);
    }
    for (const term of ['Guarantee', 'Duplicates', 'Loss', 'Typical use']) assert.ok(html.includes(`<dt>${term}</dt>`));
    assert.ok(html.includes('id="choosing-heading"'));
    assert.ok(html.includes('id="idempotency-heading"'));
    for (const step of ['unique event ID', 'durable record of processed IDs', 'atomic check-and-record'])
      assert.ok(html.toLowerCase().includes(step.toLowerCase()), step);
  }
});

test('the consumer section shows library, source, ack mode, declared and effective semantics with reasons', () => {
  const html = render(
    data({
      consumer: consumer({
        effectiveSemantics: 'effectively-once',
        semanticsReasons: ['every unsafe effect is keyed by the message'],
      }),
    }),
  );
  assert.ok(html.includes('kafkajs'));
  assert.ok(html.includes(`orders${escapeHtml(HOSTILE)}`));
  assert.ok(html.includes('<strong>implicit-after-return</strong>'));
  assert.ok(/Declared<\/span> <strong>at-least-once<\/strong>/.test(html));
  assert.ok(/Effective<\/span> <strong>effectively-once<\/strong>/.test(html));
  assert.ok(html.includes('<li>every unsafe effect is keyed by the message</li>'));
  assert.ok(html.includes('class="semantics differs"'));
  // effectively-once is marked on the exactly-once card.
  assert.ok(/id="semantics-exactly-once-heading">Exactly-once <span class="badge">this consumer<\/span>/.test(html));
});

test('findings are listed with what their rule means and a docs link; none is said plainly', () => {
  const html = render(data());
  const rule = RULES.find((candidate) => candidate.id === 'missing-event-id-check')!;
  assert.ok(html.includes(escapeHtml(rule.rationale)));
  assert.ok(html.includes(`<a href="${rule.docsUrl}">`));
  assert.ok(render(data({ diagnostics: [] })).includes('No delivery-lint findings for this consumer.'));
});

test('without a consumer the page explains the semantics and shows the notice', () => {
  const view = buildView(
    data({ consumer: undefined, consumers: [], diagnostics: [], notice: 'No message consumer found in x.ts.' }),
  );
  assert.equal(view.targets.length, 0);
  assert.ok(view.html.includes('No message consumer found in x.ts.'));
  assert.ok(!view.html.includes('id="consumer-heading"'));
});

test('the page is keyboard-accessible: headings, real buttons, focus styles, a consumer switcher', () => {
  const html = render(data());
  assert.ok(html.includes('<h1>'));
  assert.ok(html.includes('<html lang="en">'));
  assert.ok(html.includes(':focus-visible'));
  assert.ok(html.includes('var(--vscode-focusBorder)'));
  assert.ok(html.includes('var(--vscode-foreground)') && html.includes('var(--vscode-editor-background)'));
  assert.ok(!/<(div|span)[^>]*data-(reveal|consumer|action)/.test(html), 'clickable things must be buttons');
  assert.ok(html.includes('data-consumer="1"'));
  assert.ok(html.includes('data-consumer="0" aria-current="true" disabled'));
});

test('only well-formed messages from the webview are accepted', () => {
  assert.ok(isPanelMessage({ type: 'reveal', target: 2 }));
  assert.ok(isPanelMessage({ type: 'select', consumer: 0 }));
  assert.ok(isPanelMessage({ type: 'refresh' }));
  assert.ok(!isPanelMessage({ type: 'reveal', target: '/etc/passwd' }));
  assert.ok(!isPanelMessage({ type: 'reveal', target: 1.5 }));
  assert.ok(!isPanelMessage({ type: 'open', file: '/etc/passwd' }));
  assert.ok(!isPanelMessage(null));
});

/** The crash-timeline section of the page. */
function timelineSection(html: string): string {
  const start = html.indexOf('<section aria-labelledby="timeline-heading">');
  assert.ok(start >= 0, 'no crash timeline section');
  return html.slice(start, html.indexOf('</section>', start));
}

test('the crash timeline lists the steps in order with a crash point after each, a badge beside each outcome', () => {
  const input = data();
  const section = timelineSection(render(input));
  const items = [...section.matchAll(/<li class="(step|crash-point)[^"]*"/g)].map((match) => match[1]);
  assert.deepEqual(items, [
    'step',
    'crash-point',
    'step',
    'crash-point',
    'step',
    'crash-point',
    'step',
    'crash-point',
    'step',
    'crash-point',
  ]);
  const points = section
    .split('<li class="crash-point')
    .slice(1)
    .map((chunk) => chunk.slice(0, chunk.indexOf('</li>')));
  assert.equal(points.length, input.consumer!.timeline!.points.length);
  const badge =
    /<span class="outcome-badge outcome-(\w+)" title="[^"]*"><span aria-hidden="true">[^<]*<\/span> (\w+)<\/span>/g;
  const words = points.map((point) => [...point.matchAll(badge)].map((match) => match.slice(1)));
  // The outcome is a word as well as a colour: never colour alone. A point whose error leads
  // elsewhere than its crash has a second badge, beside the error's own sentence.
  assert.deepEqual(words, [
    [['safe', 'Safe']],
    [
      ['safe', 'Safe'],
      ['lost', 'Lost'],
    ],
    [['duplicate', 'Duplicate']],
    [['safe', 'Safe']],
    [['safe', 'Safe']],
  ]);
  assert.ok(points[2].includes(`${escapeHtml(HOSTILE)} runs twice.`), 'the crash outcome says what runs twice');
  // An error that leads elsewhere than the crash is told apart; the same one is said to be the same.
  assert.match(
    points[1],
    /<div class="detail error-outcome"><span class="outcome-badge outcome-lost"[^>]*>.*Lost<\/span> If [^<]* throws instead: [^<]*never happens\./,
  );
  assert.ok(points[2].includes('throws instead: the same (duplicate).'));
  assert.ok(!points[4].includes('throws instead'), 'nothing runs after the last step');
  assert.ok(section.includes('Worst: <strong class="outcome-text outcome-lost">lost</strong>'));
  assert.ok(section.includes('Two copies at once: <strong>duplicate</strong>'));
  // Theme colours for the outcomes, in the page's stylesheet.
  const html = render(input);
  for (const variable of [
    '--vscode-editorError-foreground',
    '--vscode-editorWarning-foreground',
    '--vscode-testing-iconPassed',
  ])
    assert.ok(html.includes(`var(${variable}`), variable);
});

test('crash timeline text is escaped and the steps link to their code lines by index', () => {
  const input = data();
  const view = buildView(input);
  const section = timelineSection(view.html);
  assert.ok(!section.includes(HOSTILE) && !section.includes(BREAKOUT), 'raw workspace text in the timeline');
  assert.ok(section.includes(`${escapeHtml(HOSTILE)} never happens`));
  assert.ok(section.includes(escapeHtml(`note ${BREAKOUT}`)));
  assert.ok(section.includes(`via <code>${escapeHtml(`charge"${HOSTILE}`)}</code>`));
  const steps = section
    .split('<li class="step')
    .slice(1)
    .map((chunk) => chunk.slice(0, chunk.indexOf('</li>')));
  input.consumer!.timeline!.steps.forEach((step, index) => {
    const buttons = [...steps[index].matchAll(/data-reveal="([^"]*)"/g)].map((match) => match[1]);
    if (!step.location) {
      assert.deepEqual(buttons, [], 'a step without a location has no link');
      return;
    }
    assert.equal(buttons.length, 1, `step ${index} has one link`);
    assert.match(buttons[0], /^\d+$/, 'the page posts an index, never a path');
    const target = view.targets[Number(buttons[0])];
    assert.deepEqual([target.filePath, target.line], [step.location.filePath, step.location.line]);
  });
  assert.ok(steps[2].includes('>src/billing/charge.ts:12</button>'), 'a step in another file shows its relative path');
});

test('a consumer without a crash timeline has no timeline section', () => {
  const html = render(data({ consumer: consumer({ timeline: undefined }) }));
  assert.ok(!html.includes('timeline-heading'));
});

test('a badge agrees with the sentence beside it, whatever kind the outcome was given', () => {
  const input = data();
  const lostButCalledSafe = { ...outcome('lost', 'sendMail never happens', 'Acked already.'), kind: 'safe' as const };
  input.consumer!.timeline!.points[0] = { after: 0, before: 1, crash: lostButCalledSafe };
  const point = timelineSection(render(input)).split('<li class="crash-point')[1];
  assert.match(point, /outcome-badge outcome-lost/);
  assert.doesNotMatch(point.slice(0, point.indexOf('</li>')), /Safe/);
});
