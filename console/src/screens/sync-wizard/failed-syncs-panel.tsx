import { useMutation, useQuery } from 'urql';
import { useBatchTracker } from '../../components/batch-tracker';
import { Problems } from '../../components/problems';
import { SyncLogTable } from '../../components/sync-log-table';
import { RetrySyncDocument, SyncLogsDocument, type SyncLogRowFragment } from '../../gql/graphql';
import { formatDateTime, humanize } from '../../lib/format';
import { useCan } from '../../lib/viewer';

/** Error Log: every failed QuickBooks call or change of the connection, both ways, with QuickBooks' code. */
export function ErrorLogPanel({ connectionId }: { connectionId: string }) {
  const [{ data, error, fetching }] = useQuery({
    query: SyncLogsDocument,
    variables: { first: 100, filter: { connectionId, statuses: ['FAILED'] } },
    requestPolicy: 'network-only',
  });
  const logs = data?.syncLogs.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <Problems error={error} />
      {fetching && !data ? <p role="status">Loading the error log…</p> : null}
      {data && logs.length === 0 ? <p>No QuickBooks call of this connection failed.</p> : null}
      {logs.length > 0 ? <SyncLogTable logs={logs} caption="Error log" /> : null}
    </>
  );
}

/** Failed Syncs: customer and product syncs that failed, to run again (retrySync) one by one or all at once. */
export function FailedSyncsPanel({ connectionId }: { connectionId: string }) {
  const canWrite = useCan('WRITE');
  const tracker = useBatchTracker();
  const filter = (entityType: string) => ({ connectionId, statuses: ['FAILED' as const], entityType });
  const [customers, refetchCustomers] = useQuery({
    query: SyncLogsDocument,
    variables: { first: 100, filter: filter('Customer') },
    requestPolicy: 'network-only',
  });
  const [items, refetchItems] = useQuery({
    query: SyncLogsDocument,
    variables: { first: 100, filter: filter('Item') },
    requestPolicy: 'network-only',
  });
  const [retrying, retry] = useMutation(RetrySyncDocument);
  const failed: SyncLogRowFragment[] = [
    ...(customers.data?.syncLogs.edges ?? []),
    ...(items.data?.syncLogs.edges ?? []),
  ]
    .map((edge) => edge.node)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const refresh = () => {
    refetchCustomers({ requestPolicy: 'network-only' });
    refetchItems({ requestPolicy: 'network-only' });
  };
  const run = async (ids: string[]) => {
    const result = await retry({ ids });
    const batch = result.data?.retrySync;
    if (batch) tracker.track({ id: batch.id, kind: batch.kind, onDone: refresh });
  };
  const loaded = customers.data && items.data;
  return (
    <>
      <Problems error={customers.error ?? items.error ?? retrying.error} />
      {loaded && failed.length === 0 ? <p>No customer or product sync failed.</p> : null}
      {failed.length > 0 ? (
        <ul className="plain" aria-label="Failed syncs">
          {failed.map((log) => (
            <li key={log.id} className="pending-entry">
              <strong>
                {log.entityType} {log.label ?? ''}
              </strong>{' '}
              <span className="muted">
                {humanize(log.action)} · {log.direction === 'TO_QUICKBOOKS' ? 'to' : 'from'} QuickBooks ·{' '}
                {formatDateTime(log.createdAt)}
              </span>
              <div className="error-text">
                {log.code ? `${log.code} ` : ''}
                {log.message ?? ''}
              </div>
              {canWrite ? (
                <button
                  type="button"
                  disabled={retrying.fetching || tracker.busy}
                  onClick={() => void run([log.id])}
                >
                  Retry {log.entityType} {log.label ?? ''}
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {canWrite && failed.length > 1 ? (
        <button
          type="button"
          className="primary"
          disabled={retrying.fetching || tracker.busy}
          onClick={() => void run(failed.map((log) => log.id))}
        >
          Retry all {failed.length}
        </button>
      ) : null}
    </>
  );
}
