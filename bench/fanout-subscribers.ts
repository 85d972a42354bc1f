/**
 * bench/fanout's subscribers, in a process of their own (their CPU is not the gateway's): opens one graphql-ws
 * connection per subscriber, each following one batch's `batchProgress`, and reports when each frame arrived.
 *
 * Messages with the parent (IPC): in `{url, key, batchId, count}`; out `{type: 'ready'}` once every subscriber has its
 * first event, then `{type: 'done', frames}` where frames[s] is subscriber s's `[processed, receivedAtEpochMs]` list.
 */
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';

interface Start {
  url: string;
  key: string;
  batchId: string;
  count: number;
}

const QUERY =
  'subscription($id: ID!) { batchProgress(batchId: $id) { status processed succeeded failed item { entityId status } } }';

process.once('message', (start: Start) => {
  void run(start).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});

async function run({ url, key, batchId, count }: Start): Promise<void> {
  const clients: Client[] = [];
  const frames: Array<Array<[number, number]>> = [];
  let ended = 0;
  let failed: (error: unknown) => void = () => undefined;
  let doneResolve: () => void = () => undefined;
  const done = new Promise<void>((resolve, reject) => {
    failed = reject;
    doneResolve = resolve;
  });
  // People do not all connect within one millisecond: waves of 50, each followed to its first event.
  for (let wave = 0; wave < count; wave += 50) {
    const size = Math.min(50, count - wave);
    await new Promise<void>((waveReady, waveFailed) => {
      let firstsInWave = 0;
      for (let s = 0; s < size; s++) {
        const client = createClient({
          url: `${url.replace('http', 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${key}` },
          retryAttempts: 0,
          lazy: true,
        });
        clients.push(client);
        const mine: Array<[number, number]> = [];
        frames.push(mine);
        let first = true;
        client.subscribe<{ batchProgress: { status: string; processed: number } }>(
          { query: QUERY, variables: { id: batchId } },
          {
            next: (value) => {
              const receivedAt = Date.now();
              if (value.errors) return failed(new Error(JSON.stringify(value.errors)));
              const event = value.data!.batchProgress;
              if (first) {
                first = false;
                if (++firstsInWave === size) waveReady();
                return;
              }
              mine.push([event.processed, receivedAt]);
            },
            error: (error) => {
              waveFailed(error instanceof Error ? error : new Error(String(error)));
              failed(error);
            },
            complete: () => {
              if (++ended === count) doneResolve();
            },
          },
        );
      }
    });
  }
  process.send!({ type: 'ready' });
  await done;
  process.send!({ type: 'done', frames });
  for (const client of clients) await client.dispose();
  process.disconnect();
}
