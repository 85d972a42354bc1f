/**
 * Text that is not well-formed Unicode (a lone UTF-16 surrogate, e.g. JSON's "\ud800") cannot be encoded as UTF-8 or
 * into a URL: `encodeURIComponent` throws and databases store it mangled. It is refused at ingest
 * (src/schema/validate-input.ts) and, should it reach a stored record anyway, fails that record alone.
 */
const LONE_SURROGATE = /\p{Surrogate}/u;

export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/**
 * The paths (`orders.3.customer.name`) of every string, or object key, in `value` that is not well-formed Unicode;
 * stops after `limit` paths. Linear in the size of the value.
 */
export function illFormedPaths(value: unknown, path: string, limit = 20): string[] {
  const found: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (found.length >= limit) return;
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) found.push(at);
      return;
    }
    if (node === null || typeof node !== 'object' || node instanceof Date) return;
    if (Array.isArray(node)) {
      node.forEach((child, index) => walk(child, at ? `${at}.${index}` : String(index)));
      return;
    }
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      const childPath = at ? `${at}.${isWellFormedText(key) ? key : '(key)'}` : key;
      if (!isWellFormedText(key)) found.push(childPath);
      walk(child, childPath);
    }
  };
  walk(value, path);
  return found;
}
