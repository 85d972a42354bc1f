/**
 * bench/fanout's worker, in a process of its own as in the scale-out topology (README, "Scaling out"): it posts the
 * batches, and its progress events reach the gateway's subscribers through Redis. The subscribers' cost is the
 * gateway's, not the worker's.
 *
 * Messages with the parent (IPC): in `{type: 'start', databaseUrl, dataDir, emulatorUrl, redisUrl}`, answered
 * `{type: 'ready'}`; then `{type: 'post', batchId}`, answered `{type: 'posted', seconds, committedAt}` where
 * committedAt[n] is when the event of the n-th processed item was published (epoch ms).
 */
import 'reflect-metadata';
import { createCore, type Core } from '../src/core';
import { createLogger } from '../src/logger';
import type { BatchProgressEvent } from '../src/pubsub';
import { benchConfig } from './support';

type Message =
  | { type: 'start'; databaseUrl: string; dataDir: string; emulatorUrl: string; redisUrl: string }
  | { type: 'post'; batchId: string }
  | { type: 'stop' };

let core: Core | undefined;
let committedAt: number[] = [];

process.on('message', (message: Message) => {
  void handle(message).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});

async function handle(message: Message): Promise<void> {
  if (message.type === 'start') {
    core = await createCore(
      benchConfig(message.databaseUrl, message.dataDir, message.emulatorUrl, {
        REDIS_URL: message.redisUrl,
        RUN_WORKER: 'false',
      }),
      createLogger((process.env.BENCH_LOG_LEVEL as 'info' | undefined) ?? 'silent'),
      { runWorker: false, collectDefaultMetrics: false },
    );
    // Each item's commit, as published: dispatching on the Redis event target is the publish.
    const target = core.pubSub.eventTarget;
    const dispatch = target.dispatchEvent.bind(target);
    target.dispatchEvent = (event: Event) => {
      const detail = (event as CustomEvent<BatchProgressEvent>).detail;
      if (detail?.item) committedAt[detail.processed] = Date.now();
      return dispatch(event);
    };
    process.send!({ type: 'ready' });
  } else if (message.type === 'post') {
    committedAt = [];
    const started = performance.now();
    await core!.services.posting.runPostBatch(message.batchId);
    const seconds = (performance.now() - started) / 1000;
    process.send!({ type: 'posted', seconds, committedAt });
  } else {
    await core?.close();
    process.disconnect();
  }
}
