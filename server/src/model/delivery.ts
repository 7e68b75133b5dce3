/**
 * Delivery semantics and ack modes (docs/model.md, "Semantics" and "Ack modes"): the words every
 * layer uses for what a broker promises and what a consumer achieves.
 */

export type AckMode = 'explicit' | 'implicit-after-return' | 'auto-before-handler';

export type Semantics = 'at-most-once' | 'at-least-once' | 'effectively-once' | 'exactly-once';
