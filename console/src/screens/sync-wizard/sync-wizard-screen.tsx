import { useState } from 'react';
import { useQuery } from 'urql';
import { Problems } from '../../components/problems';
import { ConnectionsDocument, PendingCountsDocument } from '../../gql/graphql';
import { ErrorLogPanel, FailedSyncsPanel } from './failed-syncs-panel';
import { PendingPanel } from './pending-panel';

const TABS = [
  { id: 'pending', label: 'Pending', panel: PendingPanel },
  { id: 'errors', label: 'Error Log', panel: ErrorLogPanel },
  { id: 'failed', label: 'Failed Syncs', panel: FailedSyncsPanel },
] as const;

/** The two-way sync wizard of one connection: Pending, Error Log and Failed Syncs. */
export function SyncWizardScreen() {
  const [{ data, error }] = useQuery({ query: ConnectionsDocument });
  const [counts] = useQuery({ query: PendingCountsDocument });
  const [chosen, setChosen] = useState('');
  const [tab, setTab] = useState<(typeof TABS)[number]['id']>('pending');
  const connections = data?.connections ?? [];
  const busiest = counts.data?.connections.find((c) => c.pendingCount > 0)?.id;
  const connectionId = chosen || busiest || connections[0]?.id || '';
  const current = TABS.find((t) => t.id === tab) ?? TABS[0];
  const Panel = current.panel;
  return (
    <>
      <h1>Sync wizard</h1>
      <p className="muted">
        With “Require approval” on, changes made in QuickBooks and changes sent by your channels wait here
        until someone approves them.
      </p>
      <Problems error={error} />
      {data && connections.length === 0 ? <p>No QuickBooks company is connected yet.</p> : null}
      {connections.length > 0 ? (
        <div className="toolbar">
          <label>
            Connection
            <select value={connectionId} onChange={(event) => setChosen(event.target.value)}>
              {connections.map((connection) => {
                const pending = counts.data?.connections.find((c) => c.id === connection.id)?.pendingCount;
                return (
                  <option key={connection.id} value={connection.id}>
                    {connection.name}
                    {pending ? ` (${pending} pending)` : ''}
                  </option>
                );
              })}
            </select>
          </label>
        </div>
      ) : null}
      {connectionId ? (
        <>
          <div role="tablist" aria-label="Sync wizard views">
            {TABS.map((t) => (
              <button
                key={t.id}
                type="button"
                role="tab"
                id={`tab-${t.id}`}
                aria-selected={t.id === tab}
                aria-controls={`panel-${t.id}`}
                onClick={() => setTab(t.id)}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${current.id}`} aria-labelledby={`tab-${current.id}`}>
            <Panel key={connectionId} connectionId={connectionId} />
          </div>
        </>
      ) : null}
    </>
  );
}
