import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { createClient as createWsClient } from 'graphql-ws/client';
import { websocketUrl } from './session';

export interface GatewayClient {
  client: Client;
  dispose(): void;
}

/**
 * One urql client per API key: queries and mutations over HTTP POST, subscriptions over graphql-ws on the same path,
 * both carrying the key (HTTP header, WebSocket connectionParams).
 */
export function createGatewayClient(apiKey: string): GatewayClient {
  const authorization = `Bearer ${apiKey}`;
  const ws = createWsClient({ url: websocketUrl(), connectionParams: { authorization }, lazy: true });
  const client = new Client({
    url: '/graphql',
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: { headers: { authorization } },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink),
          }),
        }),
      }),
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}
