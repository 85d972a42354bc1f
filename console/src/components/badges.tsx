import { humanize } from '../lib/format';

const TONE: Record<string, string> = {
  CONNECTED: 'good',
  POSTED: 'good',
  SUCCEEDED: 'good',
  SENT: 'good',
  EMAIL_SENT: 'good',
  COMPLETED: 'good',
  NEW: 'neutral',
  QUEUED: 'busy',
  POSTING: 'busy',
  RUNNING: 'busy',
  PENDING: 'busy',
  PENDING_AUTHORIZATION: 'busy',
  ARCHIVED: 'neutral',
  SKIPPED: 'neutral',
  DISCONNECTED: 'neutral',
  COMPLETED_WITH_ERRORS: 'warn',
  NEEDS_REAUTHORIZATION: 'bad',
  FAILED: 'bad',
};

/** A status word with a colour that never carries the meaning alone (the word is always there). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`badge badge-${TONE[status] ?? 'neutral'}`}>{label ?? humanize(status)}</span>;
}
