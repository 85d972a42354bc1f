/**
 * The API key, entered once per browser tab and kept in session storage: it never appears in a URL, and closing the
 * tab forgets it. GraphiQL (same origin) reads it to prefill its Authorization header.
 */
const STORAGE_KEY = 'qbg.apiKey';

export const session = {
  apiKey(): string | null {
    return sessionStorage.getItem(STORAGE_KEY);
  },
  signIn(apiKey: string): void {
    sessionStorage.setItem(STORAGE_KEY, apiKey);
  },
  signOut(): void {
    sessionStorage.removeItem(STORAGE_KEY);
  },
};

/** The gateway's GraphQL endpoint over WebSocket, on the page's own host. */
export function websocketUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
}
