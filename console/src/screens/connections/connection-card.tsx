import { useEffect, useRef, useState } from 'react';
import { useMutation, useSubscription } from 'urql';
import { Link } from 'wouter';
import { StatusBadge } from '../../components/badges';
import { useBatchTracker } from '../../components/batch-tracker';
import { ConfirmDialog } from '../../components/dialog';
import { Problems } from '../../components/problems';
import {
  ConnectDocument,
  ConnectionEventsDocument,
  DisconnectDocument,
  SyncReferenceDataDocument,
  type ConnectionSummaryFragment,
} from '../../gql/graphql';
import { formatDateTime, humanize, relativeTime } from '../../lib/format';
import { tokenWarnings } from '../../lib/tokens';
import { useCan } from '../../lib/viewer';

/** A connection as Werx and WindingFlow show it: status, company, since when, last sync, warnings and the actions. */
export function ConnectionCard({
  connection,
  onChanged,
  onDetailPage = false,
}: {
  connection: ConnectionSummaryFragment;
  onChanged: () => void;
  /** On the connection's own page the card is its status section (no link to itself). */
  onDetailPage?: boolean;
}) {
  const admin = useCan('ADMIN');
  const tracker = useBatchTracker();
  const [confirming, setConfirming] = useState(false);
  const [disconnect, runDisconnect] = useMutation(DisconnectDocument);
  const [sync, runSync] = useMutation(SyncReferenceDataDocument);
  const [reconnect, runReconnect] = useMutation(ConnectDocument);
  const connected = connection.status === 'CONNECTED';
  // Live: a status change (authorization lost, say) or fresh reference data shows without reloading.
  const [events] = useSubscription({
    query: ConnectionEventsDocument,
    variables: { id: connection.id },
    pause: connection.status === 'DISCONNECTED',
  });
  const event = events.data?.connectionEvents;
  const handled = useRef(event);
  useEffect(() => {
    if (!event || handled.current === event) return;
    handled.current = event;
    if (event.kind === 'STATUS_CHANGED' || event.kind === 'REFERENCE_DATA_CHANGED') onChanged();
  }, [event, onChanged]);

  const startSync = async () => {
    const result = await runSync({ id: connection.id });
    const batch = result.data?.syncReferenceData;
    if (batch) tracker.track({ id: batch.id, kind: batch.kind, onDone: onChanged });
  };
  const startReconnect = async () => {
    const result = await runReconnect({ input: { name: connection.name, connectionId: connection.id } });
    const url = result.data?.connect.authorizationUrl;
    if (url) window.location.assign(url);
  };
  const confirmDisconnect = async () => {
    const result = await runDisconnect({ id: connection.id });
    if (!result.error) {
      setConfirming(false);
      onChanged();
    }
  };

  return (
    <article className="card connection" aria-labelledby={`connection-${connection.id}`}>
      <header className="card-header">
        <h2 id={`connection-${connection.id}`}>{onDetailPage ? 'Status' : connection.name}</h2>
        <StatusBadge status={connection.status} />
      </header>
      <dl className="facts">
        <dt>Company</dt>
        <dd>{connection.companyName ?? '—'}</dd>
        <dt>Environment</dt>
        <dd>{humanize(connection.environment)}</dd>
        <dt>Connected since</dt>
        <dd>{formatDateTime(connection.connectedAt)}</dd>
        <dt>Last sync</dt>
        <dd>
          {connection.lastReferenceSyncAt
            ? `${formatDateTime(connection.lastReferenceSyncAt)} (${relativeTime(connection.lastReferenceSyncAt)})`
            : 'Never'}
        </dd>
        {connection.accessTokenExpiresAt && connected ? (
          <>
            <dt>Access token</dt>
            <dd>renews by itself; valid until {formatDateTime(connection.accessTokenExpiresAt)}</dd>
          </>
        ) : null}
        {connection.disconnectedAt ? (
          <>
            <dt>Disconnected</dt>
            <dd>{formatDateTime(connection.disconnectedAt)}</dd>
          </>
        ) : null}
      </dl>
      {tokenWarnings(connection).map((warning) => (
        <p key={warning.text} className={`notice notice-${warning.tone}`} role="alert">
          {warning.text}
        </p>
      ))}
      {connection.lastError ? (
        <Problems
          problems={[{ ...connection.lastError, message: `Last error: ${connection.lastError.message}` }]}
        />
      ) : null}
      <Problems error={sync.error ?? reconnect.error} />
      <div className="actions">
        {onDetailPage ? null : (
          <Link href={`/connections/${connection.id}`} className="button">
            Settings<span className="visually-hidden"> of {connection.name}</span>
          </Link>
        )}
        {connected ? (
          <button type="button" onClick={() => void startSync()} disabled={sync.fetching || tracker.busy}>
            Sync<span className="visually-hidden"> {connection.name} from QuickBooks</span>
          </button>
        ) : null}
        {admin && connection.status !== 'CONNECTED' ? (
          <button
            type="button"
            className="primary"
            onClick={() => void startReconnect()}
            disabled={reconnect.fetching}
          >
            Reconnect<span className="visually-hidden"> {connection.name}</span>
          </button>
        ) : null}
        {admin && connection.status !== 'DISCONNECTED' && connection.status !== 'PENDING_AUTHORIZATION' ? (
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Disconnect<span className="visually-hidden"> {connection.name}</span>
          </button>
        ) : null}
      </div>
      {confirming ? (
        <ConfirmDialog
          title={`Disconnect ${connection.name}?`}
          confirmLabel="Disconnect"
          danger
          busy={disconnect.fetching}
          onConfirm={() => void confirmDisconnect()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            The gateway revokes its access at Intuit and forgets the tokens: nothing more is sent to or read
            from {connection.companyName ?? 'this company'} until you reconnect. What is already in QuickBooks
            stays there.
          </p>
          <Problems error={disconnect.error} />
        </ConfirmDialog>
      ) : null}
    </article>
  );
}
