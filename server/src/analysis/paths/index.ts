/**
 * The path enumerator: from a handler's step tree (analysis/handler/steps.ts) to the model's
 * occurrences and its control-flow paths (`HandlerPath[]`: ordered effects, settles, guard
 * outcomes and caught failures, with how each path leaves the handler).
 *
 * This is the one module that decides what "order" means (docs/model.md, "Order"): everything
 * above it (report/, the rules) reads only the paths it returns. A different engine (a dataflow
 * analysis instead of enumerating paths) replaces this folder behind the same three exports.
 */
export { OccurrenceRegistry, enumeratePaths, eventKey, type PathResult } from './enumerate';
