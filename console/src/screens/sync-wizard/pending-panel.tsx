import { useState } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { useBatchTracker } from '../../components/batch-tracker';
import { Problems } from '../../components/problems';
import {
  ApproveEntitiesDocument,
  PendingCountsDocument,
  PendingEntitiesDocument,
  type PendingEntitiesQuery,
  type UncheckedAction,
} from '../../gql/graphql';
import { formatDateTime, humanize } from '../../lib/format';
import { useCan } from '../../lib/viewer';

type Pending = PendingEntitiesQuery['pendingEntities']['edges'][number]['node'];

const SECTIONS = [
  {
    direction: 'FROM_QUICKBOOKS',
    title: 'Import from QuickBooks',
    empty: 'Nothing changed in QuickBooks waits for approval.',
  },
  {
    direction: 'TO_QUICKBOOKS',
    title: 'Export to QuickBooks',
    empty: 'No change of yours waits to go to QuickBooks.',
  },
] as const;

const show = (value: unknown): string =>
  value === null || value === undefined || value === ''
    ? '(empty)'
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);

/** SingleOps' wizard: both directions, field by field, everything checked; Approve Checked with Keep/Clear unchecked. */
export function PendingPanel({ connectionId }: { connectionId: string }) {
  const client = useClient();
  const canWrite = useCan('WRITE');
  const tracker = useBatchTracker();
  const [unchecked, setUnchecked] = useState<ReadonlySet<string>>(new Set());
  const [action, setAction] = useState<UncheckedAction>('KEEP');
  const [message, setMessage] = useState('');
  const [{ data, error, fetching }, refetch] = useQuery({
    query: PendingEntitiesDocument,
    variables: { connectionId, first: 500 },
    requestPolicy: 'network-only',
  });
  const [approving, approve] = useMutation(ApproveEntitiesDocument);
  const pending = data?.pendingEntities.edges.map((edge) => edge.node) ?? [];
  const checked = pending.filter((p) => !unchecked.has(p.id));

  const refresh = () => {
    refetch({ requestPolicy: 'network-only' });
    void client.query(PendingCountsDocument, {}, { requestPolicy: 'network-only' }).toPromise();
  };
  const toggle = (ids: string[], on: boolean) =>
    setUnchecked((now) => {
      const next = new Set(now);
      for (const id of ids) {
        if (on) next.delete(id);
        else next.add(id);
      }
      return next;
    });
  const approveChecked = async () => {
    setMessage('');
    const result = await approve({ connectionId, ids: checked.map((p) => p.id), unchecked: action });
    const payload = result.data?.approveEntities;
    if (!payload) return;
    setUnchecked(new Set());
    setMessage(`${payload.approved} approved, ${payload.cleared} cleared, ${payload.kept} kept for later.`);
    refresh();
    if (payload.batch) tracker.track({ id: payload.batch.id, kind: payload.batch.kind, onDone: refresh });
  };

  return (
    <>
      <Problems error={error ?? approving.error} />
      {message ? (
        <p className="notice notice-good" role="status">
          {message}
        </p>
      ) : null}
      {fetching && !data ? <p role="status">Loading pending changes…</p> : null}
      {data ? (
        <div className="columns">
          {SECTIONS.map((section) => {
            const entries = pending.filter((p) => p.direction === section.direction);
            const all = entries.length > 0 && entries.every((p) => !unchecked.has(p.id));
            return (
              <section key={section.direction} className="card" aria-label={section.title}>
                <h2>
                  {section.title} <span className="muted">({entries.length})</span>
                </h2>
                {entries.length === 0 ? <p>{section.empty}</p> : null}
                {entries.length > 0 ? (
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={all}
                      onChange={() =>
                        toggle(
                          entries.map((p) => p.id),
                          !all,
                        )
                      }
                    />{' '}
                    Check all of {section.title}
                  </label>
                ) : null}
                <ul className="plain pending-list" aria-label={`${section.title} changes`}>
                  {entries.map((entry) => (
                    <PendingEntry
                      key={entry.id}
                      entry={entry}
                      checked={!unchecked.has(entry.id)}
                      onToggle={(on) => toggle([entry.id], on)}
                    />
                  ))}
                </ul>
              </section>
            );
          })}
        </div>
      ) : null}
      {canWrite && pending.length > 0 ? (
        <div className="action-bar" role="region" aria-label="Approve changes">
          <span>
            {checked.length} of {pending.length} checked
          </span>
          <fieldset className="choice">
            <legend className="visually-hidden">What happens to the unchecked changes</legend>
            <label>
              <input
                type="radio"
                name="unchecked"
                checked={action === 'KEEP'}
                onChange={() => setAction('KEEP')}
              />
              Keep unchecked
            </label>
            <label>
              <input
                type="radio"
                name="unchecked"
                checked={action === 'CLEAR'}
                onChange={() => setAction('CLEAR')}
              />
              Clear unchecked
            </label>
          </fieldset>
          <button
            type="button"
            className="primary"
            disabled={approving.fetching || tracker.busy || (checked.length === 0 && action === 'KEEP')}
            onClick={() => void approveChecked()}
          >
            Approve Checked
          </button>
        </div>
      ) : null}
    </>
  );
}

function PendingEntry({
  entry,
  checked,
  onToggle,
}: {
  entry: Pending;
  checked: boolean;
  onToggle: (on: boolean) => void;
}) {
  const changes = Object.entries((entry.changes ?? {}) as Record<string, { from?: unknown; to?: unknown }>);
  return (
    <li className="pending-entry">
      <label>
        <input type="checkbox" checked={checked} onChange={(event) => onToggle(event.target.checked)} />{' '}
        <strong>{entry.label}</strong>{' '}
        <span className="muted">
          {humanize(entry.entityType)} · {humanize(entry.operation)}
        </span>
        {entry.conflict ? (
          <span className="badge badge-warn" title="Changed in QuickBooks and by you since the last sync">
            conflict
          </span>
        ) : null}
      </label>
      <ul className="changes" aria-label={`Changes to ${entry.label}`}>
        {changes.map(([field, change]) => (
          <li key={field}>
            {field}: <del>{show(change?.from)}</del> → <ins>{show(change?.to)}</ins>
          </li>
        ))}
      </ul>
      <span className="muted small">Detected {formatDateTime(entry.detectedAt)}</span>
    </li>
  );
}
