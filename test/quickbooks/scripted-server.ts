import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A request as the server saw it. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Which TCP connection carried it (0-based, in order of opening). */
  connection: number;
}

export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON. */
  body?: string | object;
  /** Answer after this many ms. */
  delayMs?: number;
  /** Answer once this settles (to hold calls in flight deterministically). */
  gate?: Promise<void>;
}

/** 'reset' destroys the socket without answering; 'truncate' cuts it mid-body; 'hang' never answers. */
export type Reply = ScriptedReply | 'reset' | 'truncate' | 'hang';
export type Responder = (req: SeenRequest) => Reply;

/**
 * A tiny real HTTP server on 127.0.0.1 and a random port, scripted per test: a test double of QuickBooks for
 * fault shapes and retry behaviour. Replies are taken from the queue, then from the fallback.
 */
export class ScriptedServer {
  readonly requests: SeenRequest[] = [];
  private readonly queue: Array<Reply | Responder> = [];
  private fallback: Responder = () => ({ status: 500, body: 'no scripted reply' });
  private connections = 0;
  private inFlight = 0;
  maxInFlight = 0;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<ScriptedServer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const scripted = new ScriptedServer(server, `http://127.0.0.1:${port}`);
    server.on('connection', (socket) => {
      (socket as unknown as { seq: number }).seq = scripted.connections++;
    });
    server.on('request', (req, res) => scripted.handle(req, res));
    return scripted;
  }

  /** Queues replies for the next requests, in order. */
  reply(...replies: Array<Reply | Responder>): this {
    this.queue.push(...replies);
    return this;
  }

  /** What to answer once the queue is empty. */
  otherwise(responder: Responder): this {
    this.fallback = responder;
    return this;
  }

  get connectionCount(): number {
    return this.connections;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: new URL(req.url ?? '/', 'http://127.0.0.1'),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        connection: (req.socket as unknown as { seq: number }).seq,
      };
      this.requests.push(seen);
      const next = this.queue.shift() ?? this.fallback;
      const reply = typeof next === 'function' ? next(seen) : next;
      this.inFlight += 1;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
      const done = (): void => {
        this.inFlight -= 1;
      };
      if (reply === 'hang') {
        res.on('close', done);
        return;
      }
      if (reply === 'truncate') {
        done();
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"Item":{"Id":"1"', () => req.socket.destroy());
        return;
      }
      if (reply === 'reset') {
        done();
        req.socket.destroy();
        return;
      }
      const send = (): void => {
        const body =
          typeof reply.body === 'string' || reply.body === undefined
            ? (reply.body ?? '')
            : JSON.stringify(reply.body);
        const headers = {
          'content-type': typeof reply.body === 'object' ? 'application/json' : 'text/plain',
          ...reply.headers,
        };
        done();
        res.writeHead(reply.status ?? 200, headers);
        res.end(body);
      };
      if (reply.gate) void reply.gate.then(send);
      else if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  }
}

/** `{"Customer":{...},"time":"..."}` */
export const envelope = (entity: string, value: object): object => ({
  [entity]: { domain: 'QBO', sparse: false, ...value },
  time: '2024-05-01T10:00:00.000-07:00',
});
