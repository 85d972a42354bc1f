import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link } from 'wouter';
import { StatusBadge } from '../../components/badges';
import { useBatchTracker } from '../../components/batch-tracker';
import { ErrorBadge } from '../../components/error-badge';
import { Pager, usePager } from '../../components/pager';
import { Problems } from '../../components/problems';
import { SelectAllCell, SelectCell, useSelection } from '../../components/selection';
import {
  ConnectionsDocument,
  EmailInvoicesDocument,
  InvoicesDocument,
  SendInvoicesDocument,
  type InvoicePushStatus,
} from '../../gql/graphql';
import { formatDate, formatMoney, humanize } from '../../lib/format';
import { useCan } from '../../lib/viewer';

const PAGE_SIZE = 50;
const STATUSES: InvoicePushStatus[] = ['NOT_SENT', 'QUEUED', 'SENT', 'FAILED'];

/** WindingFlow's invoice list: push status, an error badge to hover or focus, Send to QuickBooks and e-mail. */
export function InvoicesScreen() {
  const canWrite = useCan('WRITE');
  const tracker = useBatchTracker();
  const [connectionId, setConnectionId] = useState('');
  const [status, setStatus] = useState<InvoicePushStatus | ''>('');
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState('');
  const [sendTo, setSendTo] = useState('');
  const pager = usePager();
  const { reset } = pager;

  const [connections] = useQuery({ query: ConnectionsDocument });
  const [{ data, error, fetching }, refetch] = useQuery({
    query: InvoicesDocument,
    variables: {
      first: PAGE_SIZE,
      after: pager.after,
      filter: {
        connectionId: connectionId || null,
        pushStatuses: status ? [status] : null,
        search: applied || null,
      },
    },
  });
  const [sending, send] = useMutation(SendInvoicesDocument);
  const [emailing, email] = useMutation(EmailInvoicesDocument);
  const invoices = data?.invoices.edges.map((edge) => edge.node) ?? [];
  const selection = useSelection(invoices.map((invoice) => invoice.id));
  const { clear } = selection;

  useEffect(() => {
    reset();
    clear();
  }, [connectionId, status, applied, reset, clear]);

  const refresh = () => refetch({ requestPolicy: 'network-only' });

  const sendSelected = async () => {
    const result = await send({ ids: [...selection.ids] });
    const batch = result.data?.sendInvoice;
    if (batch) {
      clear();
      refresh();
      tracker.track({ id: batch.id, kind: batch.kind, onDone: refresh });
    }
  };
  const emailSelected = async () => {
    const result = await email({ ids: [...selection.ids], sendTo: sendTo.trim() || null });
    const batch = result.data?.emailInvoices;
    if (batch) {
      clear();
      tracker.track({ id: batch.id, kind: batch.kind, onDone: refresh });
    }
  };
  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    setApplied(search.trim());
  };

  return (
    <>
      <h1>Invoices</h1>
      <div className="toolbar">
        <label>
          Connection
          <select value={connectionId} onChange={(event) => setConnectionId(event.target.value)}>
            <option value="">All connections</option>
            {connections.data?.connections.map((connection) => (
              <option key={connection.id} value={connection.id}>
                {connection.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Push status
          <select
            value={status}
            onChange={(event) => setStatus(event.target.value as InvoicePushStatus | '')}
          >
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </label>
        <form role="search" onSubmit={submitSearch} className="search">
          <label>
            Search invoices
            <input
              type="search"
              value={search}
              placeholder="Number or customer"
              onChange={(event) => setSearch(event.target.value)}
            />
          </label>
          <button type="submit">Search</button>
        </form>
      </div>
      <Problems error={error ?? sending.error ?? emailing.error} />
      {data && invoices.length === 0 ? (
        <p>
          {applied || status
            ? 'No invoices match.'
            : 'No invoices yet: createInvoice raises one for an order (Auto Invoice raises them as orders post).'}
        </p>
      ) : null}
      {fetching && !data ? <p role="status">Loading invoices…</p> : null}
      {invoices.length > 0 ? (
        <div className="table-wrap">
          <table className="orders">
            <caption className="visually-hidden">Invoices</caption>
            <thead>
              <tr>
                <SelectAllCell selection={selection} noun="invoice" />
                <th scope="col">Invoice</th>
                <th scope="col" className="wide">
                  Issued
                </th>
                <th scope="col" className="wide">
                  Customer
                </th>
                <th scope="col" className="number">
                  Total
                </th>
                <th scope="col">Push status</th>
                <th scope="col" className="wide">
                  E-mail
                </th>
              </tr>
            </thead>
            <tbody>
              {invoices.map((invoice) => (
                <tr key={invoice.id} className={selection.has(invoice.id) ? 'selected' : undefined}>
                  <SelectCell
                    selection={selection}
                    id={invoice.id}
                    label={`invoice ${invoice.invoiceNumber}`}
                  />
                  <td>
                    {invoice.invoiceNumber}
                    <span className="muted">
                      {' '}
                      · <Link href={`/orders/${invoice.order.id}`}>order #{invoice.order.orderNumber}</Link>
                    </span>
                    <span className="narrow-only muted">{invoice.order.customer.name}</span>
                  </td>
                  <td className="wide">{formatDate(invoice.issuedAt)}</td>
                  <td className="wide">{invoice.order.customer.name || '—'}</td>
                  <td className="number">{formatMoney(invoice.total, invoice.order.currency)}</td>
                  <td>
                    {invoice.pushStatus === 'FAILED' && invoice.lastError ? (
                      <ErrorBadge error={invoice.lastError} />
                    ) : (
                      <StatusBadge status={invoice.pushStatus} />
                    )}
                    {invoice.quickbooksId ? (
                      <span className="muted"> QuickBooks {invoice.docNumber ?? invoice.quickbooksId}</span>
                    ) : null}
                  </td>
                  <td className="wide">
                    {invoice.emailStatus === 'EMAIL_SENT'
                      ? `Sent${invoice.deliveredTo ? ` to ${invoice.deliveredTo}` : ''}`
                      : humanize(invoice.emailStatus)}
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
          shown={invoices.length}
          totalCount={data.invoices.totalCount}
          hasNextPage={data.invoices.pageInfo.hasNextPage}
          endCursor={data.invoices.pageInfo.endCursor}
          what="invoices"
        />
      ) : null}
      {canWrite ? (
        <div className="action-bar" role="region" aria-label="Selected invoices">
          <span>{selection.size} selected</span>
          <button
            type="button"
            className="primary"
            disabled={selection.size === 0 || sending.fetching || tracker.busy}
            onClick={() => void sendSelected()}
          >
            Send to QuickBooks
          </button>
          <label className="inline">
            <span className="visually-hidden">E-mail to (instead of the customer)</span>
            <input
              type="email"
              value={sendTo}
              placeholder="Other address (optional)"
              onChange={(event) => setSendTo(event.target.value)}
            />
          </label>
          <button
            type="button"
            disabled={selection.size === 0 || emailing.fetching || tracker.busy}
            onClick={() => void emailSelected()}
          >
            E-mail
          </button>
        </div>
      ) : null}
    </>
  );
}
