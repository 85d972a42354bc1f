/**
 * Copies the known variables of an environment onto an instance of the validation class. Numeric variables become
 * numbers only when they look like integers, so that a bad value fails `@IsInt` instead of turning into NaN. Empty
 * strings count as unset (a common shell mistake: `PORT= npm start`).
 */
export function plainToInstanceLite<T extends object>(
  cls: new () => T,
  env: NodeJS.ProcessEnv,
  numeric: ReadonlyArray<keyof T>,
): T {
  const instance = new cls();
  const target = instance as Record<string, unknown>;
  for (const [name, raw] of Object.entries(env)) {
    if (raw === undefined || raw === '') continue;
    target[name] = numeric.includes(name as keyof T) && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  }
  return instance;
}
