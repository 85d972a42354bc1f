import { useEffect, useState, type FormEvent } from 'react';
import { useQuery } from 'urql';
import { Pager, usePager } from '../components/pager';
import { Problems } from '../components/problems';
import { SyncLogTable } from '../components/sync-log-table';
import {
  ConnectionsDocument,
  SyncLogsDocument,
  type SyncDirection,
  type SyncLogFilter,
  type SyncLogStatus,
} from '../gql/graphql';

const PAGE_SIZE = 50;

interface Filters {
  connectionId: string;
  direction: '' | SyncDirection;
  status: '' | SyncLogStatus;
  entityType: string;
  batchId: string;
}

const NONE: Filters = { connectionId: '', direction: '', status: '', entityType: '', batchId: '' };

function toFilter(f: Filters): SyncLogFilter {
  return {
    connectionId: f.connectionId || null,
    direction: f.direction || null,
    statuses: f.status ? [f.status] : null,
    entityType: f.entityType.trim() || null,
    batchId: f.batchId.trim() || null,
  };
}

/** Every QuickBooks call and every change received, filterable by connection, direction, result and batch. */
export function SyncLogsScreen() {
  const [draft, setDraft] = useState<Filters>(NONE);
  const [applied, setApplied] = useState<Filters>(NONE);
  const pager = usePager();
  const { reset } = pager;
  const [connections] = useQuery({ query: ConnectionsDocument });
  const [{ data, error, fetching }] = useQuery({
    query: SyncLogsDocument,
    variables: { first: PAGE_SIZE, after: pager.after, filter: toFilter(applied) },
  });
  useEffect(() => reset(), [applied, reset]);
  const logs = data?.syncLogs.edges.map((edge) => edge.node) ?? [];
  const set = <K extends keyof Filters>(key: K, value: Filters[K]) =>
    setDraft((now) => ({ ...now, [key]: value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setApplied(draft);
  };
  return (
    <>
      <h1>Sync logs</h1>
      <form className="toolbar filters" onSubmit={submit} aria-label="Filter the sync log">
        <label>
          Connection
          <select value={draft.connectionId} onChange={(event) => set('connectionId', event.target.value)}>
            <option value="">All connections</option>
            {connections.data?.connections.map((connection) => (
              <option key={connection.id} value={connection.id}>
                {connection.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Direction
          <select
            value={draft.direction}
            onChange={(event) => set('direction', event.target.value as Filters['direction'])}
          >
            <option value="">Both</option>
            <option value="TO_QUICKBOOKS">To QuickBooks</option>
            <option value="FROM_QUICKBOOKS">From QuickBooks</option>
          </select>
        </label>
        <label>
          Result
          <select
            value={draft.status}
            onChange={(event) => set('status', event.target.value as Filters['status'])}
          >
            <option value="">Any</option>
            <option value="SUCCEEDED">Succeeded</option>
            <option value="FAILED">Failed</option>
          </select>
        </label>
        <label>
          Entity type
          <input
            value={draft.entityType}
            placeholder="Order, Customer…"
            onChange={(event) => set('entityType', event.target.value)}
          />
        </label>
        <label>
          Batch id
          <input value={draft.batchId} onChange={(event) => set('batchId', event.target.value)} />
        </label>
        <button type="submit">Apply filters</button>
      </form>
      <Problems error={error} />
      {fetching && !data ? <p role="status">Loading the sync log…</p> : null}
      {data && logs.length === 0 ? <p>No entries match.</p> : null}
      {logs.length > 0 ? <SyncLogTable logs={logs} caption="Sync log" /> : null}
      {data ? (
        <Pager
          pager={pager}
          pageSize={PAGE_SIZE}
          shown={logs.length}
          totalCount={data.syncLogs.totalCount}
          hasNextPage={data.syncLogs.pageInfo.hasNextPage}
          endCursor={data.syncLogs.pageInfo.endCursor}
          what="entries"
        />
      ) : null}
    </>
  );
}
