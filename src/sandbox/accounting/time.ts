/**
 * Times as QuickBooks Online writes them. Intuit answers in US Pacific time with an explicit offset; like the platform's
 * `intuitTime`, we use a fixed -07:00 so that every time the emulator prints is comparable as a string within one run
 * and clients (which parse the offset) see the same instants either way.
 */

const OFFSET_MS = -7 * 3600_000;
const OFFSET_TEXT = '-07:00';

/** `2015-07-24T10:44:52.998-07:00`, the envelope `time` field. */
export function envelopeTime(ms: number): string {
  return `${new Date(ms + OFFSET_MS).toISOString().slice(0, 23)}${OFFSET_TEXT}`;
}

/** `2015-07-24T10:44:52-07:00`, the MetaData times (QuickBooks stores whole seconds). */
export function metaTime(ms: number): string {
  return `${new Date(ms + OFFSET_MS).toISOString().slice(0, 19)}${OFFSET_TEXT}`;
}

/** Whole seconds, because MetaData keeps no milliseconds and comparisons must agree with what clients saw. */
export function truncateToSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** The company's calendar date (`YYYY-MM-DD`) at that instant. */
export function companyDate(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().slice(0, 10);
}

/** Adds whole days to a `YYYY-MM-DD` date. */
export function addDays(date: string, days: number): string {
  const ms = Date.parse(`${date}T00:00:00Z`);
  return new Date(ms + days * 86_400_000).toISOString().slice(0, 10);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses the date and date-time forms QuickBooks accepts in queries and `changedSince`: `2024-01-31`,
 * `2024-01-31T10:20:30`, with optional fraction and `Z` / `-07:00` / `-0700` offset. Without an offset the time is the
 * company's (Pacific) local time, as QuickBooks reads it. Returns epoch milliseconds, or undefined when unparseable.
 */
export function parseQbTime(text: string): number | undefined {
  const s = text.trim();
  const d = DATE_RE.exec(s);
  if (d) {
    const ms = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    return Number.isNaN(ms) ? undefined : ms - OFFSET_MS;
  }
  const m = DATE_TIME_RE.exec(s);
  if (!m) return undefined;
  const fraction = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  let ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6] ?? 0),
    Math.floor(fraction),
  );
  if (Number.isNaN(ms)) return undefined;
  const zone = m[8];
  if (zone === undefined) return ms - OFFSET_MS;
  if (zone.toUpperCase() === 'Z') return ms;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  ms -= sign * offsetMin * 60_000;
  return ms;
}
