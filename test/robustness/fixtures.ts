/** Fixtures the robustness suites share: a consumer whose finding must survive, and nesting shapes. */

/** A consumer with one finding (missing-event-id-check on line 5): the "other file" whose result must survive. */
export const GOOD_CONSUMER = `import { Kafka } from 'kafkajs';
const consumer = new Kafka({ clientId: 'c', brokers: ['b'] }).consumer({ groupId: 'g' });
export async function start(): Promise<void> {
  await consumer.run({
    eachMessage: async ({ message }) => {
      await fetch('https://billing.example/charge', { method: 'POST', body: String(message.value) });
    },
  });
}
`;

/** Code nested `depth` levels in one of the shapes that exhaust a recursive parser or binder. */
export const NESTING_SHAPES: Record<string, (depth: number) => string> = {
  parentheses: (depth) => `export const x = ${'('.repeat(depth)}1${')'.repeat(depth)};\n`,
  ifs: (depth) =>
    `declare const c: boolean;\nexport function f(): void {\n${'if (c) '.repeat(depth)}console.log(1);\n}\n`,
  ifBlocks: (depth) =>
    `declare const c: boolean;\nexport function f(): void {\n${'if (c) {'.repeat(depth)}console.log(1);${'}'.repeat(depth)}\n}\n`,
  blocks: (depth) => `export function f(): void {\n${'{'.repeat(depth)}console.log(1);${'}'.repeat(depth)}\n}\n`,
  arrays: (depth) => `export const x = ${'['.repeat(depth)}1${']'.repeat(depth)};\n`,
  calls: (depth) =>
    `declare function g(x: unknown): unknown;\nexport const x = ${'g('.repeat(depth)}1${')'.repeat(depth)};\n`,
  arrows: (depth) => `export const x = ${'() => '.repeat(depth)}1;\n`,
  ternaries: (depth) => `declare const c: boolean;\nexport const x = ${'c ? 1 : '.repeat(depth)}0;\n`,
  unary: (depth) => `export const x = ${'!'.repeat(depth)}true;\n`,
  templates: (depth) => `export const x = ${'`${'.repeat(depth)}1${'}`'.repeat(depth)};\n`,
  objects: (depth) => `export const x = ${'{ a: '.repeat(depth)}1${' }'.repeat(depth)};\n`,
  andChain: (depth) => `declare const c: boolean;\nexport const x = c${' && c'.repeat(depth)};\n`,
  methodChain: (depth) => `declare const c: { f(): typeof c };\nexport const x = c${'.f()'.repeat(depth)};\n`,
  tries: (depth) =>
    `export function f(): void {\n${'try {'.repeat(depth)}console.log(1);${'} catch { console.log(2); }'.repeat(depth)}\n}\n`,
};
