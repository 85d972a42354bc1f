/**
 * Marks the moment the first screen shows its data and answers input (read by bench/console.ts as
 * performance.getEntriesByName('console:interactive')).
 */
export function markInteractive(): void {
  if (performance.getEntriesByName('console:interactive').length === 0)
    performance.mark('console:interactive');
}
