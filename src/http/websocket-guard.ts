import type { IncomingMessage } from 'node:http';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { WebSocket, WebSocketServer } from 'ws';
import { AppError } from '../errors';
import type { Logger } from '../logger';

export interface WebSocketLimits {
  /** Operations (subscriptions, queries) running at once on one connection. */
  maxSubscriptions: number;
  /** Messages a second per connection; bursts of twice that are allowed. */
  maxMessagesPerSecond: number;
  /** How often the keys of open sockets are checked again. */
  keyRecheckMs: number;
}

/**
 * Close codes: 1008 is the standard "policy violation", 1009 "message too big" (sent by `ws` itself); 4403 is
 * graphql-ws's Forbidden, 4500 its internal error.
 */
export const CLOSE_TOO_MANY_MESSAGES = 1008;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
export const CLOSE_FORBIDDEN = 4403;
export const CLOSE_INTERNAL_ERROR = 4500;

/**
 * Per-connection limits of the graphql-ws server that graphql-ws has no option for, and revocation:
 * - a token bucket per socket closes a socket that sends faster than `maxMessagesPerSecond` (bursts of twice that);
 * - `refuseOverLimit` (called first thing in `onSubscribe`) answers RATE_LIMITED to an operation past
 *   `maxSubscriptions` without running it;
 * - every `keyRecheckMs`, the API keys of open sockets are looked up again in one query, and the sockets of a key
 *   that was revoked (or deleted) are closed with 4403.
 * Message size is `ws`'s own `maxPayload` (1009 on a larger frame); `adoptSocketErrors` logs it as one line.
 */
export class WebSocketGuard {
  private readonly keyOf = new Map<WebSocket, string>();
  private timer?: NodeJS.Timeout;
  private checking = false;

  constructor(
    private readonly limits: WebSocketLimits,
    /** Of these API key ids, the ones still active. */
    private readonly activeKeys: (ids: string[]) => Promise<Set<string>>,
    private readonly logger: Logger,
  ) {}

  /** Registers the message-rate guard; call before graphql-ws's `useServer`, so it sees each message first. */
  attach(server: WebSocketServer): void {
    const capacity = this.limits.maxMessagesPerSecond * 2;
    server.on('connection', (socket: WebSocket, _request: IncomingMessage) => {
      let tokens = capacity;
      let refilledAt = performance.now();
      socket.on('message', () => {
        const now = performance.now();
        tokens = Math.min(capacity, tokens + ((now - refilledAt) / 1000) * this.limits.maxMessagesPerSecond);
        refilledAt = now;
        tokens -= 1;
        if (tokens < 0 && socket.readyState === socket.OPEN) {
          this.logger.warn(
            { limit: this.limits.maxMessagesPerSecond },
            'closing a WebSocket that sends too fast',
          );
          socket.close(CLOSE_TOO_MANY_MESSAGES, 'Too many messages');
        }
      });
      socket.once('close', () => this.keyOf.delete(socket));
    });
    this.timer = setInterval(() => void this.recheck(), this.limits.keyRecheckMs);
    this.timer.unref();
  }

  /**
   * Socket errors as one structured log line, instead of graphql-ws's `console.error` with a stack. Call AFTER
   * graphql-ws's `useServer`: it takes over the error listener graphql-ws put on each socket. `ws` emits 'error' for
   * what a client did wrong (a frame past `maxPayload`, a bad frame) after it has already started closing the socket
   * with the right code (1009 for a frame too large, 1002 for a protocol error), so the code is kept; anything else
   * closes with graphql-ws's 4500, as graphql-ws would have.
   */
  adoptSocketErrors(server: WebSocketServer): void {
    server.on('connection', (socket: WebSocket) => {
      for (const listener of socket.listeners('error')) socket.off('error', listener as never);
      socket.on('error', (error: Error & { code?: string }) => {
        const tooBig = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
        const fromClient = typeof error.code === 'string' && error.code.startsWith('WS_ERR_');
        if (tooBig) {
          this.logger.warn(
            { limit: 'WS_MAX_MESSAGE_BYTES', closeCode: CLOSE_MESSAGE_TOO_BIG },
            'closing a WebSocket that sent a message larger than WS_MAX_MESSAGE_BYTES',
          );
        } else if (fromClient) {
          this.logger.warn(
            { wsError: error.code, reason: error.message },
            'closing a WebSocket that broke the protocol',
          );
        } else {
          this.logger.error({ err: error }, 'WebSocket error; closing the socket');
        }
        if (!fromClient && socket.readyState === socket.OPEN)
          socket.close(CLOSE_INTERNAL_ERROR, 'Internal server error');
      });
    });
  }

  /** Remembers which key a socket authenticated with (onConnect). */
  identify(socket: WebSocket, apiKeyId: string): void {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING)
      this.keyOf.set(socket, apiKeyId);
  }

  /**
   * RATE_LIMITED for operation `id` when `maxSubscriptions` already run on its connection. `running` is graphql-ws's
   * record of the connection's operations; `admitted` is ours (per connection), pruned of finished operations only
   * when full, and the refusal is built once: a flood of subscribes costs O(1) each, not O(operations).
   */
  refuseOverLimit(
    running: Record<string, unknown>,
    admitted: Set<string>,
    id: string,
  ): GraphQLError[] | undefined {
    if (admitted.size >= this.limits.maxSubscriptions) {
      for (const known of admitted) if (!(known in running)) admitted.delete(known);
      if (admitted.size >= this.limits.maxSubscriptions) return (this.refusal ??= this.buildRefusal());
    }
    admitted.add(id);
    return undefined;
  }

  private refusal?: GraphQLError[];

  private buildRefusal(): GraphQLError[] {
    const error = new AppError(
      'RATE_LIMITED',
      `At most ${this.limits.maxSubscriptions} operations may run at once on one WebSocket connection`,
      {
        hint: 'complete subscriptions you no longer need, or open another connection',
        extensions: { limit: 'WS_MAX_SUBSCRIPTIONS', max: this.limits.maxSubscriptions },
      },
    );
    return [new GraphQLError(error.message, { originalError: error })];
  }

  /** Closes the sockets of keys no longer active. */
  async recheck(): Promise<void> {
    if (this.checking || this.keyOf.size === 0) return;
    this.checking = true;
    try {
      const ids = [...new Set(this.keyOf.values())];
      const active = await this.activeKeys(ids);
      for (const [socket, keyId] of this.keyOf) {
        if (active.has(keyId)) continue;
        this.keyOf.delete(socket);
        socket.close(CLOSE_FORBIDDEN, 'Forbidden: the API key was revoked');
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not check the keys of open WebSockets; trying again later');
    } finally {
      this.checking = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Errors over WebSocket through the one formatter (`extensions.code`, internal errors masked), as over HTTP. Errors
 * graphql-ws raises itself (validation, no operation) carry no code: they are GRAPHQL_VALIDATION_FAILED, as Apollo
 * says over HTTP.
 */
export function socketErrorFormatter(
  format: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
): (error: GraphQLError) => GraphQLFormattedError {
  return (error) => {
    const formatted = error.toJSON();
    const original = error.originalError ?? error;
    if (!error.originalError && typeof formatted.extensions?.code !== 'string') {
      return format(
        { ...formatted, extensions: { ...formatted.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } },
        error,
      );
    }
    return format(formatted, original);
  };
}
