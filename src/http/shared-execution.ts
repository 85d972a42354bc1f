import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { GatewayContext } from '../context';

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * graphql-ws's `subscribe`: graphql-js's, except that an event object delivered to many subscribers (ProgressFanout
 * hands every subscriber of a batch the same frame) is executed once per distinct operation, not once per subscriber.
 * Operations are the same when their document, operation name, variables, tenant and scopes are: nothing else of the
 * context reaches an event's fields. Results are kept only as long as their event object lives (a WeakMap).
 */
export function sharedEventSubscribe(): (
  args: ExecutionArgs,
) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const results = new WeakMap<object, Map<string, Result>>();
  return async (args) => {
    const stream = await createSourceEventStream(args);
    if (!isAsyncIterable(stream)) return stream;
    const principal = (args.contextValue as GatewayContext | undefined)?.principal;
    const key = [
      principal?.tenantId ?? '',
      principal?.scopes.join(',') ?? '',
      args.operationName ?? '',
      JSON.stringify(args.variableValues ?? {}),
      print(args.document),
    ].join('\u0000');
    return mapAsyncIterator(stream, (event) => {
      if (event === null || typeof event !== 'object') return execute({ ...args, rootValue: event });
      let byOperation = results.get(event);
      if (!byOperation) results.set(event, (byOperation = new Map()));
      let result = byOperation.get(key);
      if (!result) {
        result = execute({ ...args, rootValue: event });
        byOperation.set(key, result);
      }
      return result;
    });
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/** graphql-js's own mapping: `return()` reaches the source at once, even while it waits for an event. */
function mapAsyncIterator<T, U>(
  iterable: AsyncIterable<T>,
  map: (value: T) => U | Promise<U>,
): AsyncIterableIterator<U> {
  const iterator = iterable[Symbol.asyncIterator]();
  const mapResult = async (result: IteratorResult<T>): Promise<IteratorResult<U>> => {
    if (result.done) return result;
    try {
      return { value: await map(result.value), done: false };
    } catch (error) {
      await iterator.return?.();
      throw error;
    }
  };
  return {
    async next() {
      return mapResult(await iterator.next());
    },
    async return(): Promise<IteratorResult<U>> {
      return iterator.return
        ? mapResult(await iterator.return())
        : { value: undefined, done: true };
    },
    async throw(error?: unknown): Promise<IteratorResult<U>> {
      if (iterator.throw) return mapResult(await iterator.throw(error));
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
