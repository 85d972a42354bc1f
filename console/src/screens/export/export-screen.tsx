import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { StatusBadge } from '../../components/badges';
import { useBatchTracker } from '../../components/batch-tracker';
import { Problems } from '../../components/problems';
import { SyncLogTable } from '../../components/sync-log-table';
import {
  ConnectionsDocument,
  ExportPreviewDocument,
  ExportToQuickBooksDocument,
  RecentBatchesDocument,
  SyncLogsDocument,
  type BatchSummaryFragment,
} from '../../gql/graphql';
import { formatDateTime } from '../../lib/format';
import { useCan } from '../../lib/viewer';

/** Rootstock's "Sales Invoice Export": what would go (three counts), Export with progress, and the process log. */
export function ExportScreen() {
  const canWrite = useCan('WRITE');
  const tracker = useBatchTracker();
  const [connections] = useQuery({ query: ConnectionsDocument });
  const [chosen, setChosen] = useState('');
  const connectionId = chosen || connections.data?.connections[0]?.id || '';
  const [preview, refetchPreview] = useQuery({
    query: ExportPreviewDocument,
    variables: { id: connectionId },
    pause: !connectionId,
    requestPolicy: 'network-only',
  });
  const [batches, refetchBatches] = useQuery({
    query: RecentBatchesDocument,
    variables: { connectionId, first: 50 },
    pause: !connectionId,
    requestPolicy: 'network-only',
  });
  const [exporting, runExport] = useMutation(ExportToQuickBooksDocument);
  const last = batches.data?.batches.edges.map((edge) => edge.node).find((batch) => batch.kind === 'EXPORT');
  const counts = preview.data?.connection?.exportPreview;
  const refresh = () => {
    refetchPreview({ requestPolicy: 'network-only' });
    refetchBatches({ requestPolicy: 'network-only' });
  };
  const start = async () => {
    const result = await runExport({ connectionId });
    const batch = result.data?.exportToQuickBooks;
    if (batch) {
      refetchBatches({ requestPolicy: 'network-only' });
      tracker.track({ id: batch.id, kind: batch.kind, onDone: refresh });
    }
  };
  const nothing = counts && counts.productCount + counts.customerCount + counts.invoiceCount === 0;
  return (
    <>
      <h1>Export</h1>
      <p className="muted">
        Sends the products, then the customers, then the invoices QuickBooks does not have yet, in one batch.
      </p>
      <Problems error={connections.error ?? preview.error ?? exporting.error ?? batches.error} />
      {connections.data && !connectionId ? <p>No QuickBooks company is connected yet.</p> : null}
      {connectionId ? (
        <div className="toolbar">
          <label>
            Connection
            <select value={connectionId} onChange={(event) => setChosen(event.target.value)}>
              {connections.data?.connections.map((connection) => (
                <option key={connection.id} value={connection.id}>
                  {connection.name}
                </option>
              ))}
            </select>
          </label>
        </div>
      ) : null}
      {counts ? (
        <section aria-label="To export">
          <ul className="counts">
            <li>
              <strong>{counts.productCount}</strong> products
            </li>
            <li>
              <strong>{counts.customerCount}</strong> customers
            </li>
            <li>
              <strong>{counts.invoiceCount}</strong> invoices
            </li>
          </ul>
          {counts.ordersToPostCount > 0 ? (
            <p className="muted">
              {counts.ordersToPostCount} order(s) without an invoice still wait to be posted (Orders screen).
            </p>
          ) : null}
          {canWrite ? (
            <button
              type="button"
              className="primary"
              disabled={exporting.fetching || tracker.busy || nothing}
              onClick={() => void start()}
            >
              Export to QuickBooks
            </button>
          ) : null}
          {nothing ? <p>Nothing to export: QuickBooks has everything.</p> : null}
        </section>
      ) : null}
      {/* Read again whenever the batch's state changes (it ends while the log is on screen). */}
      {last ? <ProcessLog key={`${last.id}:${last.status}:${last.processed}`} batch={last} /> : null}
    </>
  );
}

/** The last export: its outcome and every QuickBooks call it made. */
function ProcessLog({ batch }: { batch: BatchSummaryFragment }) {
  const [log] = useQuery({
    query: SyncLogsDocument,
    variables: { first: 200, filter: { batchId: batch.id } },
    requestPolicy: 'network-only',
  });
  const logs = log.data?.syncLogs.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="process-log">
      <h2 id="process-log">Process log</h2>
      <p>
        Export of {formatDateTime(batch.createdAt)} <StatusBadge status={batch.status} /> · {batch.succeeded}{' '}
        succeeded, {batch.failed} failed of {batch.total}
      </p>
      {batch.error ? <Problems problems={[batch.error]} /> : null}
      <Problems error={log.error} />
      {logs.length > 0 ? <SyncLogTable logs={logs} caption="Process log" /> : null}
      {log.data && logs.length === 0 ? <p>No QuickBooks call logged for this export yet.</p> : null}
    </section>
  );
}
