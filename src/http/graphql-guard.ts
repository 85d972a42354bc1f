/**
 * What `/graphql` checks before Apollo parses anything: the document's token count (graphql-armor's counting lexer,
 * stopping at the limit) and an automatic-persisted-query hash that does not match its query (Apollo would answer it
 * as an internal error). Both answer 400 in the GraphQL error shape.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { tokenLimitError } from '../schema/query-limits';
import { sendError } from './errors';

interface GraphQLRequestShape {
  query?: unknown;
  extensions?: { persistedQuery?: { sha256Hash?: unknown } } | string;
}

/** The document and extensions of a POST body or a GET query string. */
function requestOf(req: { method: string; body?: unknown; query: unknown }): GraphQLRequestShape {
  const source = req.method === 'GET' ? req.query : req.body;
  return source && typeof source === 'object' && !Array.isArray(source) ? source : {};
}

function persistedHash(extensions: GraphQLRequestShape['extensions']): string | undefined {
  let value = extensions;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as GraphQLRequestShape['extensions'];
    } catch {
      return undefined;
    }
  }
  const hash = typeof value === 'object' ? value?.persistedQuery?.sha256Hash : undefined;
  return typeof hash === 'string' ? hash : undefined;
}

export function graphqlGuard(maxTokens: number): RequestHandler {
  return (req, res, next) => {
    const request = requestOf(req);
    if (typeof request.query !== 'string') return next();
    const tooLong = tokenLimitError(request.query, maxTokens);
    if (tooLong) {
      res.status(400).json({ errors: [tooLong.toJSON()] });
      return;
    }
    const hash = persistedHash(request.extensions);
    if (hash !== undefined && createHash('sha256').update(request.query).digest('hex') !== hash) {
      sendError(res, 400, 'PERSISTED_QUERY_HASH_MISMATCH', 'provided sha does not match query', {
        hint: 'extensions.persistedQuery.sha256Hash must be the hex SHA-256 of the query text',
      });
      return;
    }
    next();
  };
}
