import type { ConnectionSummaryFragment } from '../gql/graphql';
import { formatDateTime, relativeTime } from './format';

export interface Warning {
  tone: 'warn' | 'bad';
  text: string;
}

const DAY = 86_400_000;
/** QuickBooks' rolling refresh token lasts 100 days; warn with two weeks to spare. */
const ROLLING_WARNING_MS = 14 * DAY;
/** The grant's absolute end (about five years): warn a month ahead. */
const HARD_WARNING_MS = 30 * DAY;

/** What a person must do about a connection's authorization, most urgent first. */
export function tokenWarnings(connection: ConnectionSummaryFragment, now = Date.now()): Warning[] {
  if (connection.status === 'NEEDS_REAUTHORIZATION') {
    return [
      {
        tone: 'bad',
        text: 'QuickBooks no longer accepts this connection’s authorization. Reconnect to go on.',
      },
    ];
  }
  if (connection.status !== 'CONNECTED') return [];
  const warnings: Warning[] = [];
  const check = (at: string | null | undefined, within: number, what: string): void => {
    if (!at) return;
    const left = new Date(at).getTime() - now;
    if (left <= 0)
      warnings.push({ tone: 'bad', text: `${what} expired ${relativeTime(at, now)}. Reconnect to go on.` });
    else if (left <= within) {
      warnings.push({
        tone: 'warn',
        text: `${what} expires ${relativeTime(at, now)} (${formatDateTime(at)}). Reconnect before then.`,
      });
    }
  };
  check(connection.refreshTokenExpiresAt, ROLLING_WARNING_MS, 'The QuickBooks authorization');
  check(connection.refreshTokenHardExpiresAt, HARD_WARNING_MS, 'The QuickBooks grant');
  return warnings;
}
