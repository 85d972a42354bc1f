import type { SandboxClock } from './contracts';

/**
 * The emulator's clock: real time plus an offset that only grows. Token expiry, authorization-code expiry, CDC windows
 * and webhook retry due times read it, so `POST /_sandbox/clock {advanceSeconds}` lets a test jump past an hour-long
 * token lifetime without waiting. Rate limits deliberately use real time instead (see `limits.ts`).
 */
export class OffsetClock implements SandboxClock {
  private offsetMs: number;

  constructor(offsetMs = 0) {
    this.offsetMs = offsetMs;
  }

  /** The emulator's current time. */
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** The emulator's current time in epoch milliseconds (no Date allocation on hot paths). */
  nowMs(): number {
    return Date.now() + this.offsetMs;
  }

  /** How far the emulator is ahead of real time, in milliseconds. */
  getOffsetMs(): number {
    return this.offsetMs;
  }

  /** Moves the clock forward; a negative or non-finite amount is refused because expiry logic assumes time never goes back. */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError('advanceSeconds must be a non-negative number');
    }
    this.offsetMs += seconds * 1000;
  }

  /** Puts the clock back on real time (used by reset and snapshot restore). */
  setOffsetMs(offsetMs: number): void {
    this.offsetMs = Number.isFinite(offsetMs) && offsetMs > 0 ? offsetMs : 0;
  }
}

/**
 * Formats a time the way QuickBooks does in `time` fields of its JSON envelopes (`2015-07-24T10:44:52.998-07:00`):
 * Intuit's servers answer in US Pacific time. A fixed -07:00 offset is close enough for clients, which parse the offset.
 */
export function intuitTime(date: Date): string {
  const shifted = new Date(date.getTime() - 7 * 3600_000);
  return `${shifted.toISOString().slice(0, 23)}-07:00`;
}
