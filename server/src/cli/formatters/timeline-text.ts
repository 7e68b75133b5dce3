/**
 * The crash timeline of a consumer as a text table, for `--explain`:
 *
 *   crash timeline (what a crash after each step, or an error in the next step, leads to)
 *     #  step                                         where             crash      error
 *     0  receive   receive                            src/orders.ts:13  safe       safe
 *     2  effect    Stripe charges.create (unsafe)     src/orders.ts:22  duplicate  duplicate
 *     5  settle    channel.ack() (ack)                src/orders.ts:25  safe       -
 *     after 2: crash or error → Stripe charges.create runs twice. The check … passes again …
 *     concurrent copies: duplicate. Two copies …
 *     worst: duplicate after step 3 (crash): Stripe charges.create and sendMail run twice
 *
 * Outcomes are words (safe, duplicate, lost), coloured when colour is on, never colour alone.
 */
import type { CrashOutcome, CrashOutcomeKind, CrashTimeline } from '../../model';
import type { Colors } from './util';
import { relativePath } from './util';

export function timelineLines(timeline: CrashTimeline, cwd: string, c: Colors): string[] {
  const paint = (kind: CrashOutcomeKind | undefined, text: string): string =>
    kind === 'lost' ? c.red(text) : kind === 'duplicate' ? c.yellow(text) : kind === 'safe' ? c.green(text) : text;
  const lines: string[] = [
    `  ${c.bold('crash timeline')} ${c.dim('(main path; crash: the process dies after the step; error: the next step throws)')}`,
  ];
  const rows = timeline.steps.map((step, index) => {
    const point = timeline.points[index];
    return {
      cells: [
        String(step.index),
        step.kind,
        `${step.label}${step.detail ? ` (${step.detail})` : ''}${step.unawaited ? ' (not awaited)' : ''}${step.chain?.length ? ` (via ${step.chain.map((link) => link.callee).join(' → ')})` : ''}`,
        step.location ? `${relativePath(cwd, step.location.filePath)}:${step.location.line}` : '',
        point?.crash.kind ?? '',
        point?.error?.kind ?? '-',
      ],
      crash: point?.crash.kind,
      error: point?.error?.kind,
    };
  });
  const header = ['#', 'step', '', 'where', 'crash', 'error'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row.cells[column].length)));
  const pad = (text: string, column: number): string => text.padEnd(widths[column]);
  lines.push(
    `    ${c.dim([pad('#', 0), pad('step', 1), pad('', 2), pad('where', 3), pad('crash', 4), 'error'].join('  '))}`,
  );
  for (const row of rows) {
    const [index, kind, label, where, crash, error] = row.cells;
    lines.push(
      `    ${[pad(index, 0), pad(kind, 1), pad(label, 2), c.dim(pad(where, 3)), paint(row.crash, pad(crash, 4)), paint(row.error, error)].join('  ').trimEnd()}`,
    );
  }
  // The outcomes that are not safe, with their reasons.
  timeline.points.forEach((point, index) => {
    const outcomes: [string, CrashOutcome][] = [];
    if (point.crash.kind !== 'safe') outcomes.push(['crash', point.crash]);
    if (point.error && point.error.kind !== 'safe') {
      if (outcomes.length && sameOutcome(point.crash, point.error)) outcomes[0][0] = 'crash or error';
      else outcomes.push(['error', point.error]);
    }
    for (const [cause, outcome] of outcomes) {
      lines.push(
        `    after ${index}: ${cause} → ${paint(outcome.kind, outcome.kind)}: ${outcome.summary}. ${c.dim(outcome.explanation)}`,
      );
    }
  });
  const concurrency = timeline.concurrency;
  lines.push(
    `    concurrent copies: ${concurrency.kind === 'not-applicable' ? 'not applicable' : paint(concurrency.kind, concurrency.kind)}. ${c.dim(concurrency.text)}`,
  );
  const worst = timeline.worst;
  lines.push(
    `    worst: ${paint(worst.kind, worst.kind)}${worst.point !== undefined ? ` after step ${worst.point} (${worst.cause})` : ''}${worst.kind === 'safe' ? '' : `: ${worst.summary}`}`,
  );
  for (const note of timeline.notes) lines.push(`    ${c.yellow(`note: ${note}`)}`);
  return lines;
}

function sameOutcome(a: CrashOutcome, b: CrashOutcome): boolean {
  return a.kind === b.kind && a.summary === b.summary;
}
