/**
 * Per-caller rate limits on `/graphql` (HTTP requests and graphql-ws operations): one bucket per API key, and one per
 * client address for requests without a valid key. Built from rate-limiter-flexible's BurstyRateLimiter, which acts
 * as a token bucket of `burst` tokens refilled at `perSecond`: `perSecond` requests every second, plus a reserve of
 * `burst − perSecond` that refills over five times as long as the rate would take to earn it. So a caller may send
 * `burst` at once, then `perSecond` a second (up to 20% more while the reserve refills).
 *
 * With `REDIS_URL` the buckets live in Redis (atomic, shared by every gateway process); a Redis outage falls back to
 * the in-memory buckets of this process rather than refusing or waving everything through.
 */
import { AppError } from '../errors';
import { Redis } from 'ioredis';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { GraphQLError } from 'graphql';
import {
  BurstyRateLimiter,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Config } from '../config';
import type { Principal } from '../services/api-key.service';
import { sendError } from './errors';

export type Verdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one token from the key's bucket (or the address's, without a key). */
  take(principal: Principal | undefined, address: string | undefined): Promise<Verdict>;
  /** Resolves once the Redis store is connected (or has failed to; the memory fallback then serves). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

interface BucketOptions {
  perSecond: number;
  burst: number;
  prefix: string;
}

function bucket(options: BucketOptions, redis: Redis | undefined): BurstyRateLimiter | RateLimiterAbstract {
  const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    return redis
      ? new RateLimiterRedis({
          storeClient: redis,
          keyPrefix: `qbg:rl:${keyPrefix}`,
          points,
          duration,
          insuranceLimiter: memory,
          rejectIfRedisNotReady: true,
        })
      : memory;
  };
  const steady = make(options.prefix, options.perSecond, 1);
  const reserve = options.burst - options.perSecond;
  if (reserve <= 0) return steady;
  return new BurstyRateLimiter(
    steady,
    make(`${options.prefix}:burst`, reserve, Math.max(1, Math.ceil((5 * reserve) / options.perSecond))),
  );
}

/** `null` when both limits are 0 (off). */
export function createRateLimiter(
  limits: Config['rateLimit'],
  redisUrl: string | undefined,
): RateLimiter | null {
  if (limits.perSecond === 0 && limits.anonymousPerSecond === 0) return null;
  const redis = redisUrl
    ? new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : undefined;
  // An unreachable Redis is logged by the caller's health checks; here it only means the memory fallback.
  redis?.on('error', () => undefined);
  const keys =
    limits.perSecond > 0
      ? bucket({ perSecond: limits.perSecond, burst: limits.burst, prefix: 'key' }, redis)
      : undefined;
  const addresses =
    limits.anonymousPerSecond > 0
      ? bucket({ perSecond: limits.anonymousPerSecond, burst: limits.anonymousBurst, prefix: 'addr' }, redis)
      : undefined;
  const connected = redis
    ? new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 3_000);
        timer.unref();
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        redis.once('ready', done);
        redis.once('error', done);
      })
    : Promise.resolve();
  return {
    ready: () => connected,
    async take(principal, address) {
      const limiter = principal ? keys : addresses;
      if (!limiter) return { allowed: true };
      try {
        await limiter.consume(principal ? principal.apiKeyId : (address ?? 'unknown'));
        return { allowed: true };
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        }
        return { allowed: true }; // the store failed and so did its fallback: do not turn an outage into refusals
      }
    },
    async close() {
      if (redis && redis.status !== 'end') await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function refusal(principal: Principal | undefined, retryAfterSeconds: number) {
  return {
    message: principal
      ? `Too many requests for this API key; retry in ${retryAfterSeconds} s`
      : `Too many requests without an API key from this address; retry in ${retryAfterSeconds} s`,
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds,
      hint: 'slow down: the limit is per API key (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST)',
    },
  };
}

/** The GraphQL error a graphql-ws operation over the limit receives. */
export function rateLimitedError(principal: Principal | undefined, retryAfterSeconds: number): GraphQLError {
  const { message, extensions } = refusal(principal, retryAfterSeconds);
  // An AppError inside, so the one error formatter keeps the code (over graphql-ws too).
  const { code: _code, hint, ...rest } = extensions;
  return new GraphQLError(message, {
    extensions,
    originalError: new AppError('RATE_LIMITED', message, { hint, extensions: rest }),
  });
}

/**
 * HTTP: authenticates the request once (the GraphQL context reuses `res.locals.principal`), takes a token, and
 * answers 429 with `Retry-After` when there is none. Runs before the body is read.
 */
export function rateLimitMiddleware(
  limiter: RateLimiter | null,
  authenticate: (authorization: unknown) => Promise<Principal | undefined>,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const principal = await authenticate(req.headers.authorization);
      res.locals.principal = principal;
      res.locals.authenticated = true;
      const verdict = limiter ? await limiter.take(principal, req.ip) : { allowed: true as const };
      if (!verdict.allowed) {
        const { message, extensions } = refusal(principal, verdict.retryAfterSeconds);
        res.setHeader('retry-after', String(verdict.retryAfterSeconds));
        sendError(res, 429, 'RATE_LIMITED', message, extensions);
        return;
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}
