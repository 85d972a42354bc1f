/** A URL to send a person back to after consent, if its origin is one of the allowed (CORS) origins. */
export function allowedReturnUrl(raw: string, allowed: readonly string[]): URL | undefined {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return allowed.includes(url.origin) ? url : undefined;
  } catch {
    return undefined;
  }
}
