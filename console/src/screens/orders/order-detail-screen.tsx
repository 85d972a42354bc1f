import { Fragment, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link, useParams } from 'wouter';
import { StatusBadge } from '../../components/badges';
import { useBatchTracker } from '../../components/batch-tracker';
import { ConfirmDialog } from '../../components/dialog';
import { Problems } from '../../components/problems';
import { SyncLogTable } from '../../components/sync-log-table';
import {
  OrderDetailDocument,
  PostOrdersDocument,
  UndoSyncDocument,
  type UndoSyncMutation,
} from '../../gql/graphql';
import { formatDateTime, formatMoney, humanize } from '../../lib/format';
import { useCan } from '../../lib/viewer';

const POSTABLE = new Set(['NEW', 'FAILED', 'ARCHIVED']);
const transactionName = (kind: string) => (kind === 'INVOICE' ? 'invoice' : 'sales receipt');

/** Order detail: lines, charges, the QuickBooks transaction, its sync log, and Undo sync with a confirmation. */
export function OrderDetailScreen() {
  const { id = '' } = useParams<{ id: string }>();
  const canWrite = useCan('WRITE');
  const tracker = useBatchTracker();
  const [{ data, error }, refetch] = useQuery({ query: OrderDetailDocument, variables: { id } });
  const [undoState, undo] = useMutation(UndoSyncDocument);
  const [postState, post] = useMutation(PostOrdersDocument);
  const [confirming, setConfirming] = useState(false);
  const [undone, setUndone] = useState<UndoSyncMutation['undoSync'] | null>(null);
  const refresh = () => refetch({ requestPolicy: 'network-only' });
  const order = data?.order;

  const confirmUndo = async () => {
    const result = await undo({ id });
    if (result.data) {
      setConfirming(false);
      setUndone(result.data.undoSync);
      refresh();
    }
  };
  const postThis = async () => {
    setUndone(null);
    const result = await post({ ids: [id] });
    const batch = result.data?.postOrders;
    if (batch) tracker.track({ id: batch.id, kind: batch.kind, onDone: refresh });
  };

  if (!order) {
    return (
      <>
        <h1>Order</h1>
        <Problems error={error} />
        {data ? <p role="alert">There is no such order.</p> : <p role="status">Loading order…</p>}
      </>
    );
  }
  const txn = order.postedTransaction;
  return (
    <>
      <p className="breadcrumbs">
        <Link
          href={order.status === 'FAILED' ? '/errors' : order.status === 'ARCHIVED' ? '/archived' : '/orders'}
        >
          Back to the list
        </Link>
      </p>
      <h1>
        Order #{order.orderNumber} <StatusBadge status={order.status} />
      </h1>
      <Problems error={error ?? postState.error} />
      {undone ? (
        <p className="notice notice-good" role="status">
          Removed {transactionName(undone.removedTransaction.kind)}{' '}
          {undone.removedTransaction.docNumber ?? undone.removedTransaction.id} from QuickBooks. The order is
          new again.
          {undone.keptCustomerIds.length + undone.keptItemIds.length > 0
            ? ` The customer and ${undone.keptItemIds.length} item(s) the posting used stay in QuickBooks.`
            : ''}
        </p>
      ) : null}
      {order.lastError ? (
        <Problems
          problems={[{ ...order.lastError, message: `Posting failed: ${order.lastError.message}` }]}
        />
      ) : null}
      <div className="columns">
        <section className="card" aria-labelledby="order-facts">
          <h2 id="order-facts">Order</h2>
          <dl className="facts">
            <dt>Date</dt>
            <dd>{formatDateTime(order.orderDate)}</dd>
            <dt>Channel</dt>
            <dd>
              {order.channel} · {order.externalId}
            </dd>
            <dt>Customer</dt>
            <dd>
              {order.customer.name || '— (default customer)'}
              {order.customer.email ? ` · ${order.customer.email}` : ''}
            </dd>
            <dt>Connection</dt>
            <dd>
              <Link href={`/connections/${order.connection.id}`}>{order.connection.name}</Link>
              {order.connection.companyName ? ` (${order.connection.companyName})` : ''}
            </dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="order-qbo">
          <h2 id="order-qbo">In QuickBooks</h2>
          {txn ? (
            <dl className="facts">
              <dt>Transaction</dt>
              <dd>
                {humanize(txn.kind)} {txn.docNumber ?? ''}
              </dd>
              <dt>QuickBooks id</dt>
              <dd>{txn.id}</dd>
              <dt>Total</dt>
              <dd>{formatMoney(txn.totalAmount, order.currency)}</dd>
              <dt>Posted</dt>
              <dd>{formatDateTime(order.postedAt)}</dd>
              {order.customer.quickbooksId ? (
                <>
                  <dt>Customer id</dt>
                  <dd>{order.customer.quickbooksId}</dd>
                </>
              ) : null}
            </dl>
          ) : (
            <p>Not in QuickBooks.</p>
          )}
          {order.modifiedAfterPosting ? (
            <p className="notice notice-warn">
              The channel changed this order after it was posted; QuickBooks was not changed.
            </p>
          ) : null}
          {canWrite ? (
            <div className="actions">
              {POSTABLE.has(order.status) ? (
                <button
                  type="button"
                  className="primary"
                  disabled={postState.fetching || tracker.busy}
                  onClick={() => void postThis()}
                >
                  Post to QuickBooks
                </button>
              ) : null}
              {order.status === 'POSTED' ? (
                <button type="button" className="danger" onClick={() => setConfirming(true)}>
                  Undo sync
                </button>
              ) : null}
            </div>
          ) : null}
        </section>
      </div>
      <section aria-labelledby="order-lines">
        <h2 id="order-lines">Lines</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col" className="wide">
                  SKU
                </th>
                <th scope="col" className="number">
                  Quantity
                </th>
                <th scope="col" className="number">
                  Unit price
                </th>
                <th scope="col" className="number">
                  Amount
                </th>
                <th scope="col" className="wide">
                  QuickBooks item
                </th>
              </tr>
            </thead>
            <tbody>
              {order.lines.map((line, i) => (
                <tr key={i}>
                  <td>
                    {line.name}
                    {line.taxable ? <span className="badge badge-neutral">taxable</span> : null}
                  </td>
                  <td className="wide">{line.sku ?? '—'}</td>
                  <td className="number">{line.quantity}</td>
                  <td className="number">{formatMoney(line.unitPrice, order.currency)}</td>
                  <td className="number">{formatMoney(line.amount, order.currency)}</td>
                  <td className="wide">{line.quickbooksItemId ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <dl className="facts totals" aria-label="Totals">
          {order.charges.map((charge, i) => (
            <Fragment key={i}>
              <dt>
                {humanize(charge.kind)}
                {charge.description ? ` · ${charge.description}` : ''}
              </dt>
              <dd>{formatMoney(charge.amount, order.currency)}</dd>
            </Fragment>
          ))}
          <dt>Discount</dt>
          <dd>−{formatMoney(order.discountTotal, order.currency)}</dd>
          <dt>Tax</dt>
          <dd>{formatMoney(order.taxTotal, order.currency)}</dd>
          <dt>Total</dt>
          <dd>{formatMoney(order.total, order.currency)}</dd>
        </dl>
      </section>
      <section aria-labelledby="order-log">
        <h2 id="order-log">Sync log</h2>
        {order.syncLogs.edges.length === 0 ? (
          <p>No QuickBooks call was made for this order yet.</p>
        ) : (
          <SyncLogTable
            logs={order.syncLogs.edges.map((edge) => edge.node)}
            caption={`Sync log of order ${order.orderNumber}`}
          />
        )}
      </section>
      {confirming && txn ? (
        <ConfirmDialog
          title={`Undo sync of order #${order.orderNumber}?`}
          confirmLabel="Yes, undo sync"
          cancelLabel="No"
          danger
          busy={undoState.fetching}
          onConfirm={() => void confirmUndo()}
          onCancel={() => setConfirming(false)}
        >
          <p>
            This removes {transactionName(txn.kind)} {txn.docNumber ?? txn.id} from QuickBooks and makes the
            order new again. Customers and items created while posting stay in QuickBooks.
          </p>
          <p className="hint">
            If a payment was applied to it in QuickBooks, remove that payment there first.
          </p>
          <Problems error={undoState.error} />
        </ConfirmDialog>
      ) : null}
    </>
  );
}
