import { useEffect, useRef } from 'react';
import { useQuery } from 'urql';
import { Link, useLocation, useParams, useSearch } from 'wouter';
import { useBatchTracker } from '../../components/batch-tracker';
import { Problems } from '../../components/problems';
import { ConnectionDetailDocument } from '../../gql/graphql';
import { ConnectionCard } from './connection-card';
import { SettingsForm } from './settings-form';

/** One connection: its status card and its settings. Back from QuickBooks' consent, it follows the first import. */
export function ConnectionDetailScreen() {
  const { id = '' } = useParams<{ id: string }>();
  const importBatch = new URLSearchParams(useSearch()).get('import');
  const [{ data, error }, refetch] = useQuery({ query: ConnectionDetailDocument, variables: { id } });
  const tracker = useBatchTracker();
  const [, navigate] = useLocation();
  const followed = useRef(false);
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  useEffect(() => {
    // The callback page links here with the import it started: show its progress pop-up (Werx's first import),
    // once: the address loses ?import, so reloading the page does not show it again.
    if (importBatch && !followed.current) {
      followed.current = true;
      tracker.track({
        id: importBatch,
        kind: 'REFERENCE_IMPORT',
        onDone: () => refetch({ requestPolicy: 'network-only' }),
      });
      navigate(`/connections/${id}`, { replace: true });
    }
  }, [importBatch, tracker, refetch, navigate, id]);
  const connection = data?.connection;
  return (
    <>
      <p className="breadcrumbs">
        <Link href="/connections">Connections</Link>
      </p>
      <h1>{connection ? connection.name : 'Connection'}</h1>
      <Problems error={error} />
      {data && !connection ? <p role="alert">There is no such connection.</p> : null}
      {connection ? (
        <>
          <ConnectionCard connection={connection} onChanged={refresh} onDetailPage />
          <SettingsForm key={connection.id} connectionId={connection.id} settings={connection.settings} />
        </>
      ) : null}
    </>
  );
}
