/**
 * The pipeline's record of what the analysis reads through the type checker (pipeline/reads.ts),
 * as the analysis sees it. A result computed once and reused (a function summary, a value's
 * origin) replays what its computation read into the consumer that reuses it, so the caches that
 * decide when a report must be rebuilt see the same reads either way.
 */
import type { ts } from 'ts-morph';

/** What a computation read, as the pipeline's recorder keeps it (opaque here). */
export type CapturedReads = object;

export interface ReadCapture {
  capture<T>(compute: () => T): { value: T; reads: CapturedReads };
  replay(reads: CapturedReads): void;
}

const captures = new WeakMap<ts.TypeChecker, ReadCapture>();

/** The recorder of reads made through `checker` (pipeline/reads.ts registers its recording checker). */
export function registerReadCapture(checker: ts.TypeChecker, capture: ReadCapture): void {
  captures.set(checker, capture);
}

export function readCaptureOf(checker: ts.TypeChecker): ReadCapture | undefined {
  return captures.get(checker);
}

/** Runs `compute`, giving what it read when a recorder is attached to `checker`. */
export function captured<T>(checker: ts.TypeChecker, compute: () => T): { value: T; reads?: CapturedReads } {
  const capture = captures.get(checker);
  return capture ? capture.capture(compute) : { value: compute() };
}
