import { Link } from 'wouter';
import type { SyncLogRowFragment } from '../gql/graphql';
import { formatDate, formatTime, humanize } from '../lib/format';
import { StatusBadge } from './badges';

/** QuickBooks calls and changes, newest first: what, which way, the outcome and QuickBooks' code. */
export function SyncLogTable({ logs, caption }: { logs: SyncLogRowFragment[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="logs">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col" className="wide">
              Action
            </th>
            <th scope="col" className="wide">
              Direction
            </th>
            <th scope="col">What</th>
            <th scope="col">Result</th>
            <th scope="col" className="wide">
              QuickBooks id
            </th>
            <th scope="col" className="wide number">
              Time
            </th>
          </tr>
        </thead>
        <tbody>
          {logs.map((log) => (
            <tr key={log.id}>
              <td>
                <span className="nowrap">{formatDate(log.createdAt)}</span>{' '}
                <span className="nowrap">{formatTime(log.createdAt)}</span>
              </td>
              <td className="wide">
                {humanize(log.action)}
                {log.attempt > 1 ? ` (attempt ${log.attempt})` : ''}
              </td>
              <td className="wide">
                {log.direction === 'TO_QUICKBOOKS' ? 'To QuickBooks' : 'From QuickBooks'}
              </td>
              <td>
                <span className="narrow-only muted">{humanize(log.action)}</span>
                {log.entityType === 'Order' && log.entityId ? (
                  <Link href={`/orders/${log.entityId}`}>Order {log.label ?? ''}</Link>
                ) : (
                  `${log.entityType}${log.label ? ` ${log.label}` : ''}`
                )}
              </td>
              <td>
                <StatusBadge status={log.status} />
                {log.code || log.message ? (
                  <span className="error-text">
                    {log.code ? ` ${log.code}` : ''} {log.message ?? ''}
                  </span>
                ) : null}
              </td>
              <td className="wide">{log.quickbooksId ?? '—'}</td>
              <td className="wide number">
                {log.durationMs === null || log.durationMs === undefined ? '—' : `${log.durationMs} ms`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
