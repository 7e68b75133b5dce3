/**
 * The model: plain data shared by every layer (the analysis builds it, the rules judge it, the CLI,
 * the language server and the explainer panel show it). No ts-morph values, no functions that need
 * the compiler: nothing here imports any other folder. See ARCHITECTURE.md.
 */
export type * from './consumer';
export type * from './crash-timeline';
export type * from './delivery';
export type * from './findings';
export type * from './library';
export type * from './location';
export type * from './occurrences';
