import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import type { TestGateway } from './gateway';

/** Runs the whole connect flow as a person would: mutation, Intuit's consent (auto-approved), the callback. */
export async function connectCompany(
  t: TestGateway,
  adminKey: string,
  options: { name?: string; realmId?: string; consent?: 'approve' | 'deny'; connectionId?: string } = {},
): Promise<{
  connectionId: string;
  callback: Response;
  body: Record<string, unknown>;
  authorizationUrl: string;
}> {
  const started = await t.graphql<{ connect: { connection: { id: string }; authorizationUrl: string } }>(
    adminKey,
    'mutation($input: ConnectInput!) { connect(input: $input) { connection { id status } authorizationUrl } }',
    { input: { name: options.name ?? 'Books', connectionId: options.connectionId } },
  );
  if (started.errors) throw new Error(JSON.stringify(started.errors));
  const { authorizationUrl, connection } = started.data!.connect;
  const consentUrl = new URL(authorizationUrl);
  consentUrl.searchParams.set('sandbox_consent', options.consent ?? 'approve');
  if (options.realmId) consentUrl.searchParams.set('sandbox_realm', options.realmId);
  const consent = await fetch(consentUrl, { redirect: 'manual' });
  const location = consent.headers.get('location');
  if (consent.status !== 302 || !location) throw new Error(`consent answered ${consent.status}`);
  // The redirect names the configured redirect URI; deliver it to the gateway actually under test.
  const redirect = new URL(location);
  const callback = await fetch(`${t.url}${redirect.pathname}${redirect.search}`, {
    headers: { accept: 'application/json' },
  });
  const body = (await callback.json()) as Record<string, unknown>;
  return { connectionId: connection.id, callback, body, authorizationUrl };
}

/** A graphql-ws client of a gateway (in this process or another: only its URL is needed). */
export function wsClient(t: Pick<TestGateway, 'url'>, key: string): Client {
  return createClient({
    url: `${t.url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    retryAttempts: 0,
  });
}

/** Collects a subscription's events until it completes (or errors). */
export function collect<T>(client: Client, query: string, variables: Record<string, unknown>): Promise<T[]> {
  const events: T[] = [];
  return new Promise((resolve, reject) => {
    client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          if (value.errors) reject(new Error(JSON.stringify(value.errors)));
          else events.push(value.data as T);
        },
        error: reject,
        complete: () => resolve(events),
      },
    );
  });
}
