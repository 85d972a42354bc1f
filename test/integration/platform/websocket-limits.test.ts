import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createLogger } from '../../../src/logger';
import { startTestGateway, type TestGateway } from '../../support/gateway';
import { connectCompany, wsClient } from '../../support/connect';
import { until } from '../../support/wait';

type Message = { type: string; id?: string; payload?: unknown };

/** A raw graphql-transport-ws socket, acknowledged, recording every message and how it closed. */
async function rawSocket(t: TestGateway, key: string) {
  const socket = new WebSocket(`${t.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: Message[] = [];
  let closed: { code: number; reason: string } | undefined;
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as Message));
  socket.on('close', (code: number, reason: Buffer) => {
    closed = { code, reason: reason.toString() };
  });
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${key}` } }));
  await until(() => messages.some((m) => m.type === 'connection_ack'));
  return { socket, messages, closed: () => closed };
}

/**
 * The WebSocket as an attacker would use it: thousands of subscriptions on one socket, a flood of messages, a huge
 * frame, a key revoked while its subscription runs, an internal error.
 */
describe('WebSocket limits', () => {
  let t: TestGateway;
  /** The gateway's log, one JSON object per line. */
  const logLines: string[] = [];
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    t = await startTestGateway(
      'sqlite',
      {
        RUN_WORKER: 'false',
        WS_MAX_SUBSCRIPTIONS: '50',
        WS_MAX_MESSAGES_PER_SECOND: '100000',
        WS_MAX_MESSAGE_BYTES: '16384',
        WS_KEY_RECHECK_SECONDS: '1',
      },
      { gatewayOptions: { logger: createLogger('info', sink) } },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses subscriptions past the cap on one socket: 20,000 subscribes, 50 run', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const { connectionId } = await connectCompany(t, key);
    const { socket, messages, closed } = await rawSocket(t, key);
    const query = 'subscription($id: ID!) { connectionEvents(connectionId: $id) { kind } }';
    for (let i = 0; i < 20_000; i++) {
      socket.send(
        JSON.stringify({
          id: `s${i}`,
          type: 'subscribe',
          payload: { query, variables: { id: connectionId } },
        }),
      );
    }
    await until(() => messages.filter((m) => m.type === 'error').length >= 20_000 - 50);
    const errors = messages.filter((m) => m.type === 'error');
    expect(errors).toHaveLength(20_000 - 50);
    expect(
      (errors[0]!.payload as Array<{ extensions: Record<string, unknown> }>)[0]!.extensions,
    ).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 'WS_MAX_SUBSCRIPTIONS',
      max: 50,
    });
    expect(closed()).toBeUndefined();
    // The socket still works: one subscription completed frees a place for another.
    socket.send(JSON.stringify({ id: 's0', type: 'complete' }));
    socket.send(
      JSON.stringify({ id: 'again', type: 'subscribe', payload: { query, variables: { id: connectionId } } }),
    );
    socket.send(JSON.stringify({ type: 'ping' }));
    await until(() => messages.some((m) => m.type === 'pong'));
    expect(messages.filter((m) => m.type === 'error')).toHaveLength(20_000 - 50);
    socket.close();
  });

  it('closes a socket that sends a frame larger than WS_MAX_MESSAGE_BYTES: 1009, one log line, no console noise', async () => {
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { key } = await t.newTenantKey(['READ']);
      const { socket, closed } = await rawSocket(t, key);
      const before = logLines.length;
      socket.send(JSON.stringify({ type: 'ping', payload: { padding: 'x'.repeat(20_000) } }));
      await until(() => closed() !== undefined);
      expect(closed()!.code).toBe(1009);
      // The server's log line is written as the socket closes: wait for it rather than assume it is there.
      const logged = () =>
        logLines
          .slice(before)
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((entry) => entry.limit === 'WS_MAX_MESSAGE_BYTES');
      await until(() => logged().length > 0);
      expect(logged()).toEqual([
        expect.objectContaining({
          level: 40,
          transport: 'ws',
          closeCode: 1009,
          limit: 'WS_MAX_MESSAGE_BYTES',
        }),
      ]);
      expect(JSON.stringify(logged())).not.toContain('stack');
      expect(consoleError).not.toHaveBeenCalled();
    } finally {
      consoleError.mockRestore();
    }
  });

  it("closes a revoked key's running subscription within seconds", async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const { connectionId } = await connectCompany(t, key);
    const client = wsClient(t, key);
    let closedWith: number | undefined;
    client.on('closed', (event) => {
      closedWith = (event as { code: number }).code;
    });
    const events: unknown[] = [];
    let failure: unknown;
    client.subscribe(
      {
        query: 'subscription($id: ID!) { connectionEvents(connectionId: $id) { kind message } }',
        variables: { id: connectionId },
      },
      { next: (value) => events.push(value), error: (error) => (failure = error), complete: () => undefined },
    );
    // The subscription is live: an event published now reaches it.
    await until(async () => {
      t.gateway.services.events.publish(connectionId, 'STATUS_CHANGED', { message: 'probe' });
      await new Promise((resolve) => setImmediate(resolve));
      return events.length > 0;
    });
    const prefix = /^qbg_([^_]+)_/.exec(key)![1]!;
    expect(await t.gateway.services.apiKeys.revoke(prefix)).toBe(true);
    await until(() => closedWith !== undefined, 10_000);
    expect(closedWith).toBe(4403);
    expect(failure).toBeDefined();
    await client.dispose();
  });

  it('masks an internal error over WebSocket and gives it a code, as over HTTP', async () => {
    const { key } = await t.newTenantKey(['ADMIN']);
    const spy = jest.spyOn(t.gateway.services.batches, 'progress').mockImplementation(() => {
      throw new Error('secret internal detail: password=hunter2');
    });
    try {
      const { socket, messages } = await rawSocket(t, key);
      socket.send(
        JSON.stringify({
          id: 'p',
          type: 'subscribe',
          payload: { query: 'subscription { batchProgress(batchId: "batch_x") { status } }' },
        }),
      );
      // And a validation error, which graphql-ws raises itself.
      socket.send(JSON.stringify({ id: 'v', type: 'subscribe', payload: { query: '{ nope }' } }));
      await until(() => messages.filter((m) => m.id === 'p' || m.id === 'v').length >= 2);
      const text = JSON.stringify(messages);
      expect(text).not.toContain('hunter2');
      const internal = messages.find((m) => m.id === 'p' && m.type !== 'complete')!;
      const payload = internal.payload as { errors?: unknown[] } | unknown[];
      const errors = (Array.isArray(payload) ? payload : payload.errors) as Array<{
        message: string;
        extensions: { code: string };
      }>;
      expect(errors[0]).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      });
      const invalid = messages.find((m) => m.id === 'v')!;
      expect(invalid.type).toBe('error');
      expect((invalid.payload as Array<{ extensions: { code: string } }>)[0]!.extensions.code).toBe(
        'GRAPHQL_VALIDATION_FAILED',
      );
      socket.close();
    } finally {
      spy.mockRestore();
    }
  });
});

describe('WebSocket message rate', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { RUN_WORKER: 'false', WS_MAX_MESSAGES_PER_SECOND: '20' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('closes a socket that floods messages', async () => {
    const { key } = await t.newTenantKey(['READ']);
    const { socket, closed } = await rawSocket(t, key);
    for (let i = 0; i < 1_000; i++) socket.send(JSON.stringify({ type: 'ping' }));
    await until(() => closed() !== undefined);
    expect(closed()).toEqual({ code: 1008, reason: 'Too many messages' });
  });
});
