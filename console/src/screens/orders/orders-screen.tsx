import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link, useLocation } from 'wouter';
import { StatusBadge } from '../../components/badges';
import { useBatchTracker } from '../../components/batch-tracker';
import { Pager, usePager } from '../../components/pager';
import { Problems } from '../../components/problems';
import { SelectAllCell, SelectCell, useSelection } from '../../components/selection';
import {
  ArchiveOrdersDocument,
  ConnectionsDocument,
  OrdersDocument,
  PostOrdersDocument,
  type OrderView,
} from '../../gql/graphql';
import { formatDate, formatMoney } from '../../lib/format';
import { useCan } from '../../lib/viewer';

const PAGE_SIZE = 50;

const VIEWS: Array<{ path: string; view: OrderView; label: string; empty: string }> = [
  {
    path: '/orders',
    view: 'ORDERS',
    label: 'Orders',
    empty: 'No orders yet: channels send them through upsertOrders.',
  },
  { path: '/errors', view: 'ERRORS', label: 'Errors', empty: 'No order failed to post.' },
  { path: '/archived', view: 'ARCHIVED', label: 'Archived', empty: 'No archived orders.' },
];

/** Webgility's Orders, Errors and Archived views: select orders, Post to QuickBooks, archive. */
export function OrdersScreen() {
  const [location, navigate] = useLocation();
  const current = VIEWS.find((v) => v.path === location) ?? VIEWS[0];
  const canWrite = useCan('WRITE');
  const tracker = useBatchTracker();
  const [connectionId, setConnectionId] = useState<string>('');
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const pager = usePager();
  const { reset } = pager;

  const [connections] = useQuery({ query: ConnectionsDocument });
  const [{ data, error, fetching }, refetch] = useQuery({
    query: OrdersDocument,
    variables: {
      first: PAGE_SIZE,
      after: pager.after,
      filter: { view: current.view, search: applied || null, connectionId: connectionId || null },
    },
  });
  const [posting, post] = useMutation(PostOrdersDocument);
  const [archiving, archive] = useMutation(ArchiveOrdersDocument);

  const orders = data?.orders.edges.map((edge) => edge.node) ?? [];
  const selection = useSelection(orders.map((order) => order.id));
  const { clear } = selection;
  // A new view, search or connection starts from the first page with nothing selected.
  useEffect(() => {
    reset();
    clear();
  }, [current.view, applied, connectionId, reset, clear]);

  const refresh = () => refetch({ requestPolicy: 'network-only' });

  const postSelected = async () => {
    const result = await post({ ids: [...selection.ids] });
    const batch = result.data?.postOrders;
    if (batch) {
      clear();
      refresh();
      tracker.track({ id: batch.id, kind: batch.kind, onDone: refresh });
    }
  };
  const archiveSelected = async () => {
    const result = await archive({ ids: [...selection.ids] });
    if (result.data) {
      clear();
      refresh();
    }
  };
  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    setApplied(search.trim());
  };

  return (
    <>
      <h1>{current.label}</h1>
      <nav className="tabs" aria-label="Order views">
        {VIEWS.map((v) => (
          <Link key={v.path} href={v.path} aria-current={v.path === current.path ? 'page' : undefined}>
            {v.label}
          </Link>
        ))}
      </nav>
      <div className="toolbar">
        <label>
          Connection
          <select value={connectionId} onChange={(event) => setConnectionId(event.target.value)}>
            <option value="">All connections</option>
            {connections.data?.connections.map((connection) => (
              <option key={connection.id} value={connection.id}>
                {connection.name}
                {connection.companyName ? ` (${connection.companyName})` : ''}
              </option>
            ))}
          </select>
        </label>
        <form role="search" onSubmit={submitSearch} className="search">
          <label>
            Search orders
            <input
              type="search"
              value={search}
              placeholder="Number, customer or e-mail"
              onChange={(event) => setSearch(event.target.value)}
            />
          </label>
          <button type="submit">Search</button>
        </form>
      </div>
      <Problems error={error ?? posting.error ?? archiving.error} />
      {data && orders.length === 0 ? (
        <p>{applied ? `No ${current.label.toLowerCase()} match “${applied}”.` : current.empty}</p>
      ) : null}
      {fetching && !data ? <p role="status">Loading orders…</p> : null}
      {orders.length > 0 ? (
        <div className="table-wrap">
          <table className="orders">
            <caption className="visually-hidden">{current.label}</caption>
            <thead>
              <tr>
                <SelectAllCell selection={selection} noun="order" />
                <th scope="col">Order</th>
                <th scope="col" className="wide">
                  Date
                </th>
                <th scope="col" className="wide">
                  Customer
                </th>
                <th scope="col" className="number">
                  Total
                </th>
                <th scope="col">Status</th>
                <th scope="col" className="wide">
                  {current.view === 'ERRORS' ? 'Error' : 'QuickBooks'}
                </th>
              </tr>
            </thead>
            <tbody>
              {orders.map((order) => (
                <tr
                  key={order.id}
                  className={selection.has(order.id) ? 'selected' : undefined}
                  onDoubleClick={() => navigate(`/orders/${order.id}`)}
                >
                  <SelectCell selection={selection} id={order.id} label={`order ${order.orderNumber}`} />
                  <td>
                    <Link href={`/orders/${order.id}`}>#{order.orderNumber}</Link>
                    {order.modifiedAfterPosting ? (
                      <span
                        className="badge badge-warn"
                        title="The channel changed this order after it was posted"
                      >
                        changed
                      </span>
                    ) : null}
                    {/* On a phone the customer and the error go under the number (their columns are hidden). */}
                    <span className="narrow-only muted">{order.customer.name}</span>
                    {current.view === 'ERRORS' && order.lastError ? (
                      <span className="narrow-only error-text">{order.lastError.message}</span>
                    ) : null}
                  </td>
                  <td className="wide">{formatDate(order.orderDate)}</td>
                  <td className="wide">{order.customer.name || '—'}</td>
                  <td className="number">{formatMoney(order.total, order.currency)}</td>
                  <td>
                    <StatusBadge status={order.status} />
                  </td>
                  <td className="wide">
                    {current.view === 'ERRORS' && order.lastError ? (
                      <span className="error-text">
                        {order.lastError.message}
                        {order.lastError.hint ? <em className="hint"> {order.lastError.hint}</em> : null}
                      </span>
                    ) : order.postedTransaction ? (
                      `${order.postedTransaction.kind === 'INVOICE' ? 'Invoice' : 'Sales receipt'} ${order.postedTransaction.docNumber ?? order.postedTransaction.id}`
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {data ? (
        <Pager
          pager={pager}
          pageSize={PAGE_SIZE}
          shown={orders.length}
          totalCount={data.orders.totalCount}
          hasNextPage={data.orders.pageInfo.hasNextPage}
          endCursor={data.orders.pageInfo.endCursor}
          what="orders"
        />
      ) : null}
      {canWrite ? (
        <div className="action-bar" role="region" aria-label="Selected orders">
          <span>{selection.size} selected</span>
          <button
            type="button"
            className="primary"
            disabled={selection.size === 0 || posting.fetching || tracker.busy}
            onClick={() => void postSelected()}
          >
            Post to QuickBooks
          </button>
          {current.view !== 'ARCHIVED' ? (
            <button
              type="button"
              disabled={selection.size === 0 || archiving.fetching}
              onClick={() => void archiveSelected()}
            >
              Archive
            </button>
          ) : null}
        </div>
      ) : null}
    </>
  );
}
