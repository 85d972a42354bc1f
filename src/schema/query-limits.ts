/**
 * What a GraphQL document may ask for, checked before any resolver runs and in time linear in its size (every check
 * here runs before the caller's key matters). The rules are graphql-armor's, memoizing fragments so a fragment
 * spread twice per level costs one visit, not 2^levels:
 *
 * - tokens (`maxTokens`) — counted while lexing, stopping at the limit. It also bounds graphql-js's own
 *   OverlappingFieldsCanBeMerged rule, which is quadratic in the number of same-named fields of one selection;
 * - depth (`maxDepth`, fragments followed but not counted as levels; `__schema` introspection excluded);
 * - aliases (`maxAliases`), directives (`maxDirectives`);
 * - cost (`maxCost`): 1 per scalar, 2 per object, × 1.5 per level, × `first`/`last` when given literally.
 *
 * A refusal is GRAPHQL_VALIDATION_FAILED with `extensions.limit` naming the limit, `max`, and (where known) `found`.
 */
import {
  GraphQLError,
  parse,
  validate,
  specifiedRules,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';

export interface QueryLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
}

export type LimitName = 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxTokens' | 'maxCost';

const VARIABLE: Record<LimitName, string> = {
  maxDepth: 'GRAPHQL_MAX_DEPTH',
  maxAliases: 'GRAPHQL_MAX_ALIASES',
  maxDirectives: 'GRAPHQL_MAX_DIRECTIVES',
  maxTokens: 'GRAPHQL_MAX_TOKENS',
  maxCost: 'GRAPHQL_MAX_COST',
};

const WHAT: Record<LimitName, string> = {
  maxDepth: 'is nested deeper than',
  maxAliases: 'has more aliases than',
  maxDirectives: 'has more directives than',
  maxTokens: 'has more tokens than',
  maxCost: 'costs more than',
};

const HINT: Record<LimitName, string> = {
  maxDepth: 'select fewer nested levels, or follow ids with a second query',
  maxAliases: 'send fewer aliased fields per operation, or several operations',
  maxDirectives: 'use fewer @include/@skip directives',
  maxTokens: 'send data in variables rather than inline in the document, or split the operation',
  maxCost: 'ask for smaller pages (first:) or fewer fields, or split the operation',
};

/** The refusal of one limit, as clients see it. */
export function limitError(limit: LimitName, max: number, found?: number): GraphQLError {
  const shown = found !== undefined && Number.isFinite(found) ? ` (found ${formatCount(found)})` : '';
  return new GraphQLError(
    `The operation ${WHAT[limit]} the limit of ${max}${shown}: ${limit}, set by ${VARIABLE[limit]}`,
    {
      extensions: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        limit,
        max,
        ...(found !== undefined && Number.isFinite(found) ? { found } : {}),
        hint: HINT[limit],
      },
    },
  );
}

function formatCount(n: number): string {
  return n < 1e12 ? String(Math.round(n)) : n.toExponential(2);
}

/** graphql-armor says "… limit of N exceeded, found M." when exposeLimits is on; we keep M. */
function foundIn(message: string): number | undefined {
  const match = /found (\d+(?:\.\d+)?(?:e\+?\d+)?)/.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * The validation rules of the limits. Each reports at most one error per operation through the validation context
 * (graphql-armor's default is to throw, which Apollo would answer as an internal error).
 */
export function queryLimitRules(limits: QueryLimits): ValidationRule[] {
  const reporting = (limit: LimitName, max: number) => ({
    propagateOnRejection: false,
    exposeLimits: true,
    onReject: [
      (context: { reportError(error: GraphQLError): void } | null, error: GraphQLError) =>
        context?.reportError(limitError(limit, max, foundIn(error.message))),
    ],
  });
  return [
    maxDepthRule({ n: limits.maxDepth, flattenFragments: true, ...reporting('maxDepth', limits.maxDepth) }),
    maxAliasesRule({ n: limits.maxAliases, ...reporting('maxAliases', limits.maxAliases) }),
    maxDirectivesRule({ n: limits.maxDirectives, ...reporting('maxDirectives', limits.maxDirectives) }),
    costLimitRule({ maxCost: limits.maxCost, ...reporting('maxCost', limits.maxCost) }),
  ] as ValidationRule[];
}

/**
 * The token limit, applied to the source before anything parses it for real: graphql-armor's counting lexer, which
 * stops at the limit. Syntax errors are left to the real parser to report.
 */
export function tokenLimitError(source: string, maxTokens: number): GraphQLError | undefined {
  let over = false;
  try {
    new MaxTokensParserWLexer(source, {
      n: maxTokens,
      propagateOnRejection: true,
      onReject: [() => (over = true)],
    }).parseDocument();
  } catch {
    // a syntax error, or the limit (then `over` is set)
  }
  return over ? limitError('maxTokens', maxTokens) : undefined;
}

/** Apollo's own "Did you mean" remover does this for HTTP; the WebSocket side uses the same rule. */
export function withoutSuggestions(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message.replace(/ ?Did you mean(.+?)\?$/, ''), {
    nodes: error.nodes,
    extensions: error.extensions,
  });
}

/**
 * Parses and validates a graphql-ws operation with the same limits as HTTP: the document, or the errors to send back
 * (with `extensions.code` GRAPHQL_PARSE_FAILED or GRAPHQL_VALIDATION_FAILED).
 */
export function checkOperation(
  schema: GraphQLSchema,
  source: unknown,
  limits: QueryLimits,
  hideSuggestions: boolean,
): { document: DocumentNode } | { errors: GraphQLError[] } {
  if (typeof source !== 'string' || source.length === 0) {
    return {
      errors: [new GraphQLError('The operation has no query', { extensions: { code: 'BAD_REQUEST' } })],
    };
  }
  const tooLong = tokenLimitError(source, limits.maxTokens);
  if (tooLong) return { errors: [tooLong] };
  let document: DocumentNode;
  try {
    document = parse(source, { maxTokens: limits.maxTokens });
  } catch (error) {
    const syntax = error instanceof GraphQLError ? error : new GraphQLError(String(error));
    return {
      errors: [
        new GraphQLError(syntax.message, {
          nodes: syntax.nodes,
          source: syntax.source,
          positions: syntax.positions,
          extensions: { code: 'GRAPHQL_PARSE_FAILED' },
        }),
      ],
    };
  }
  const errors = validate(schema, document, [...specifiedRules, ...queryLimitRules(limits)]);
  if (errors.length > 0) {
    return {
      errors: errors.map((error) => {
        const shown = hideSuggestions ? withoutSuggestions(error) : error;
        return new GraphQLError(shown.message, {
          nodes: shown.nodes,
          extensions: { ...shown.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
        });
      }),
    };
  }
  return { document };
}
