/**
 * Classifies a call as an effect (docs/model.md, "Effects"): duplicate-unsafe, idempotent, a read that
 * can serve as a dedup check, a claim, or a record of a processed ID. Calls nothing matches are
 * `unknown` and stay quiet.
 */
import { ts } from 'ts-morph';
import { chainCalls } from '../source/ast';
import { matchConfigured } from './configured';
import { matchMongo, matchPrisma, matchQueryBuilders, matchTypeOrmSequelize } from './databases';
import {
  matchCloudCommands,
  matchFiles,
  matchGoogleCloud,
  matchHttp,
  matchNotifications,
  matchStripe,
} from './external';
import { matchPublishes } from './messaging';
import { matchSqlCall, matchSqlTemplate } from './sql';
import { matchDynamo, matchFirestore, matchRedis, matchSearchIndex } from './stores';
import { CallLink, CallMatcher, ClassifiedCall, MatchContext } from './matcher';

export type { ClassifiedCall, MatchContext, GuardSignal } from './matcher';

/** Most specific first: the user's config, then SQL text, then libraries by origin. */
const MATCHERS: CallMatcher[] = [
  matchConfigured,
  matchSqlCall,
  matchStripe,
  matchPrisma,
  matchRedis,
  matchDynamo,
  matchMongo,
  matchTypeOrmSequelize,
  matchQueryBuilders,
  matchFirestore,
  matchSearchIndex,
  matchNotifications,
  matchPublishes,
  matchCloudCommands,
  matchGoogleCloud,
  matchHttp,
  matchFiles,
];

/**
 * The calls of a method chain, innermost first: `knex('t').insert(x).onConflict('id').ignore()`
 * gives knex(), insert(), onConflict(), ignore(). Only the outermost call of a chain is passed in.
 */
function chainLinks(outermost: ts.CallExpression, checker: ts.TypeChecker): CallLink[] {
  const calls = chainCalls(outermost, { throughAwait: true });
  const links: CallLink[] = [];
  for (let index = calls.length - 1; index >= 0; index--)
    links.unshift(new CallLink(calls[index], links.slice(), checker));
  return links;
}

/** Whether a call is an inner link of a chain (its result is called on), so only the outer one is classified. */
export function isInnerChainLink(call: ts.CallExpression): boolean {
  let parent = call.parent;
  while (
    parent &&
    (ts.isParenthesizedExpression(parent) || ts.isNonNullExpression(parent) || ts.isAsExpression(parent))
  )
    parent = parent.parent;
  return (
    !!parent &&
    (ts.isPropertyAccessExpression(parent) || ts.isElementAccessExpression(parent)) &&
    !!parent.parent &&
    ts.isCallExpression(parent.parent) &&
    parent.parent.expression === parent
  );
}

export function classifyChain(outermost: ts.CallExpression, context: MatchContext): ClassifiedCall | undefined {
  const links = chainLinks(outermost, context.checker);
  for (const link of links) {
    for (const matcher of MATCHERS) {
      let result: ClassifiedCall | undefined;
      try {
        result = matcher(link, context);
      } catch {
        result = undefined; // a matcher must never take the analysis down on odd code
      }
      if (result) return result;
    }
  }
  return undefined;
}

export function classifyTaggedTemplate(
  node: ts.TaggedTemplateExpression,
  context: MatchContext,
): ClassifiedCall | undefined {
  return matchSqlTemplate(node, context);
}
