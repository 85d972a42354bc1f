/**
 * The load generator of `bench/api`, in a process of its own so its CPU is not the server's: `clients` loops, each
 * sending one request at a time over its own keep-alive socket, for `seconds`. Requests are picked round-robin from
 * `requests` (each with a weight). Answers the latencies (ms) and the errors: a status other than 200, a body with
 * `"errors"`, or a socket error.
 */
import http from 'node:http';

export interface LoadRequest {
  name: string;
  weight: number;
  body: string;
}

export interface LoadOrder {
  url: string;
  headers: Record<string, string>;
  requests: LoadRequest[];
  clients: number;
  seconds: number;
}

export interface LoadResult {
  seconds: number;
  /** Per request name: latencies in ms and the number of errors. */
  byName: Record<string, { latencies: number[]; errors: number; firstError?: string }>;
}

async function run(order: LoadOrder): Promise<LoadResult> {
  const target = new URL(order.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: order.clients });
  const schedule = order.requests.flatMap((request) => Array<LoadRequest>(request.weight).fill(request));
  const byName: LoadResult['byName'] = Object.fromEntries(
    order.requests.map((request) => [request.name, { latencies: [], errors: 0 }]),
  );
  const send = (request: LoadRequest) =>
    new Promise<{ ok: boolean; detail?: string }>((resolve) => {
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: {
            ...order.headers,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(request.body),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const ok = res.statusCode === 200 && !text.includes('"errors"');
            resolve(ok ? { ok } : { ok, detail: `${res.statusCode} ${text.slice(0, 300)}` });
          });
          res.on('error', (error) => resolve({ ok: false, detail: String(error) }));
        },
      );
      req.on('error', (error) => resolve({ ok: false, detail: String(error) }));
      req.end(request.body);
    });

  const started = performance.now();
  const until = started + order.seconds * 1000;
  let next = 0;
  const client = async () => {
    while (performance.now() < until) {
      const request = schedule[next++ % schedule.length];
      const sent = performance.now();
      const outcome = await send(request);
      const entry = byName[request.name];
      entry.latencies.push(performance.now() - sent);
      if (!outcome.ok) {
        entry.errors += 1;
        entry.firstError ??= outcome.detail;
      }
    }
  };
  await Promise.all(Array.from({ length: order.clients }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { seconds, byName };
}

process.on('message', (order: LoadOrder) => {
  void run(order).then((result) => {
    process.send!(result, () => process.exit(0));
  });
});
