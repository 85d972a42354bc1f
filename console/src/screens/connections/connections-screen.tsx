import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Problems } from '../../components/problems';
import { ConnectDocument, ConnectionsDocument } from '../../gql/graphql';
import { markInteractive } from '../../lib/interactive';
import { useCan } from '../../lib/viewer';
import { ConnectionCard } from './connection-card';

/** Connections: each QuickBooks company, and "Connect to QuickBooks" (consent at Intuit, then back here). */
export function ConnectionsScreen() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: ConnectionsDocument });
  const admin = useCan('ADMIN');
  const connections = data?.connections ?? [];
  useEffect(() => {
    if (data) markInteractive();
  }, [data]);
  return (
    <>
      <h1>Connections</h1>
      <Problems error={error} />
      {data && connections.length === 0 ? (
        <p>No QuickBooks company is connected yet. Connect one to post orders and import its lists.</p>
      ) : null}
      {fetching && !data ? <p role="status">Loading connections…</p> : null}
      <div className="cards">
        {connections.map((connection) => (
          <ConnectionCard
            key={connection.id}
            connection={connection}
            onChanged={() => refetch({ requestPolicy: 'network-only' })}
          />
        ))}
      </div>
      {admin ? <ConnectForm /> : null}
    </>
  );
}

/** Starts the OAuth flow: the browser goes to QuickBooks' consent page and comes back through /oauth/callback. */
function ConnectForm() {
  const [name, setName] = useState('QuickBooks');
  const [state, connect] = useMutation(ConnectDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await connect({ input: { name: name.trim() } });
    const url = result.data?.connect.authorizationUrl;
    if (url) window.location.assign(url);
  };
  return (
    <form
      className="card connect-form"
      onSubmit={(event) => void submit(event)}
      aria-labelledby="connect-heading"
    >
      <h2 id="connect-heading">Connect a QuickBooks company</h2>
      <p>
        You approve access on QuickBooks’ page, then come back here; the company’s lists are imported at once.
      </p>
      <label>
        Name for this connection
        <input value={name} required maxLength={100} onChange={(event) => setName(event.target.value)} />
      </label>
      <Problems error={state.error} />
      <button type="submit" className="primary" disabled={state.fetching || name.trim() === ''}>
        Connect to QuickBooks
      </button>
    </form>
  );
}
