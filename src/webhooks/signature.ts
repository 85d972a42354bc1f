import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `intuit-signature` = base64(HMAC-SHA256(raw body, verifier token)). Checked against every configured verifier token
 * (the current one first, then those being rotated out), each comparison in constant time, before the body is parsed.
 */
export function verifyIntuitSignature(
  body: Buffer,
  header: string | string[] | undefined,
  verifierTokens: readonly string[],
): boolean {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) return false;
  const given = Buffer.from(value.trim(), 'base64');
  let ok = false;
  for (const token of verifierTokens) {
    if (!token) continue;
    const expected = createHmac('sha256', token).update(body).digest();
    // Compare every token (no early exit), so the time taken does not tell which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}

/** Signs a body as QuickBooks does (tests and the benchmark). */
export function signIntuitBody(body: string | Buffer, verifierToken: string): string {
  return createHmac('sha256', verifierToken).update(body).digest('base64');
}
