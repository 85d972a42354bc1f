import { useEffect } from 'react';
import { useQuery } from 'urql';
import { useLocation } from 'wouter';
import { PendingCountsDocument } from '../../gql/graphql';

/** The navigation's count of changes waiting in the sync wizard (all connections); read again on every screen change. */
export function PendingNavBadge() {
  const [location] = useLocation();
  const [{ data }, refetch] = useQuery({ query: PendingCountsDocument });
  useEffect(() => refetch({ requestPolicy: 'network-only' }), [location, refetch]);
  const count = data?.connections.reduce((sum, connection) => sum + connection.pendingCount, 0) ?? 0;
  if (count === 0) return null;
  return (
    <span className="badge badge-warn nav-count" data-testid="pending-count">
      {count}
      <span className="visually-hidden"> pending</span>
    </span>
  );
}
