import { createHash } from 'node:crypto';
import type { OrderEntity, PostedTransactionData } from '../../entities';
import { QuickBooksError, type QuickBooksEntity } from '../../quickbooks';
import { postingMarker, text } from './posting-mapper';
import { withHint } from '../stored-error';

/** QuickBooks' name of the transaction an order was posted as. */
export const entityOf = (posted: PostedTransactionData): 'SalesReceipt' | 'Invoice' =>
  posted.kind === 'INVOICE' ? 'Invoice' : 'SalesReceipt';

/** "Fix Edit Sequence", done automatically: re-read the SyncToken and send again, this many times. */
const STALE_PASSES = 3;
/** Passes over items that failed with a retryable fault inside an otherwise successful batch call. */
const RETRY_PASSES = 2;

/** An order to update, its new body, and what it was built from (for the order's record). */
export interface PreparedUpdate {
  order: OrderEntity;
  seq: number;
  body: QuickBooksEntity;
  customerId: string;
  itemIds: Map<string, string>;
}

/** What the update path needs of the posting service (its records are the posting's: one order, one truth). */
export interface UpdateHost {
  sendBatch(
    items: Array<{ entity: string; body: QuickBooksEntity }>,
    requestId: string,
  ): Promise<Array<{ ok: true; value: QuickBooksEntity } | { ok: false; error: QuickBooksError }>>;
  read(entity: string, id: string): Promise<QuickBooksEntity>;
  markSent(orderIds: string[]): Promise<void>;
  recordUpdated(
    results: Array<{ prepared: PreparedUpdate; value: QuickBooksEntity; requestId?: string }>,
    action: 'UPDATE' | 'MATCH',
  ): Promise<void>;
  recordFailed(
    failures: Array<{ prepared: PreparedUpdate; error: Error; requestId?: string }>,
  ): Promise<void>;
  throwIfAborted(): void;
  batchId: string;
}

/**
 * Brings a posted order's QuickBooks transaction up to date with the order (a full update, so QuickBooks holds exactly
 * what the order says). Exactly once like a create: `sentAt` is committed before the update leaves; the update carries
 * this posting's marker in PrivateNote, so an update whose answer was lost is recognised by reading the transaction
 * (`recover`); a stale SyncToken (5010) is re-read and the update sent again.
 */
export async function postUpdates(host: UpdateHost, updates: PreparedUpdate[]): Promise<void> {
  let pending = updates.map((prepared) => ({
    prepared,
    syncToken: prepared.order.postedTransaction!.syncToken,
  }));
  for (let pass = 0; pending.length > 0; pass++) {
    host.throwIfAborted();
    const requestId = createHash('sha256')
      .update(
        `update|${host.batchId}|${pass}|${pending.map((p) => `${p.prepared.order.id}:${p.prepared.order.postingGeneration}:${p.syncToken}`).join(',')}`,
      )
      .digest('hex')
      .slice(0, 32);
    await host.markSent(pending.map((p) => p.prepared.order.id));
    let outcomes;
    try {
      outcomes = await host.sendBatch(
        pending.map(({ prepared, syncToken }) => ({
          entity: entityOf(prepared.order.postedTransaction!),
          body: { ...prepared.body, Id: prepared.order.postedTransaction!.id, SyncToken: syncToken ?? '0' },
        })),
        requestId,
      );
    } catch (error) {
      if (!(error instanceof QuickBooksError) || error.category === 'RETRYABLE') throw error;
      if (error.category === 'NEEDS_REAUTHORIZATION') throw error;
      await host.recordFailed(pending.map(({ prepared }) => ({ prepared, error, requestId })));
      return;
    }
    const done: Array<{ prepared: PreparedUpdate; value: QuickBooksEntity; requestId: string }> = [];
    const failed: Array<{ prepared: PreparedUpdate; error: Error; requestId: string }> = [];
    const stale: PreparedUpdate[] = [];
    const next: typeof pending = [];
    pending.forEach(({ prepared, syncToken }, index) => {
      const outcome = outcomes[index];
      if (outcome.ok) done.push({ prepared, value: outcome.value, requestId });
      else if (outcome.error.quickbooksCode === '5010' && pass < STALE_PASSES) stale.push(prepared);
      else if (outcome.error.category === 'RETRYABLE' && pass < RETRY_PASSES)
        next.push({ prepared, syncToken });
      else failed.push({ prepared, error: withUpdateHint(outcome.error, prepared), requestId });
    });
    // Changed in QuickBooks meanwhile: read the current version (ours already, after a replay we could not see?).
    const reread = await Promise.all(stale.map((prepared) => readCurrent(host, prepared)));
    for (const { prepared, current } of reread) {
      if (current.ours) done.push({ prepared, value: current.value, requestId });
      else next.push({ prepared, syncToken: String(current.value.SyncToken ?? '0') });
    }
    await host.recordUpdated(done, 'UPDATE');
    await host.recordFailed(failed);
    pending = next;
  }
}

/**
 * Updates sent without a recorded outcome: a transaction that carries this posting's marker was updated (recorded as
 * such); the others were not and are sent again. A transaction gone from QuickBooks fails the order with what to do.
 */
export async function recoverUpdates(host: UpdateHost, updates: PreparedUpdate[]): Promise<Set<string>> {
  const settled = new Set<string>();
  if (updates.length === 0) return settled;
  const found = await Promise.all(
    updates.map(async (prepared) => {
      try {
        return { prepared, current: (await readCurrent(host, prepared)).current };
      } catch (error) {
        if (!(error instanceof QuickBooksError) || error.category === 'RETRYABLE') throw error;
        return { prepared, error };
      }
    }),
  );
  const adopted = found.flatMap((f) =>
    f.current?.ours ? [{ prepared: f.prepared, value: f.current.value }] : [],
  );
  const gone = found.flatMap((f) =>
    f.error ? [{ prepared: f.prepared, error: withUpdateHint(f.error, f.prepared) }] : [],
  );
  for (const f of [...adopted, ...gone]) settled.add(f.prepared.order.id);
  await host.recordUpdated(adopted, 'MATCH');
  await host.recordFailed(gone);
  return settled;
}

async function readCurrent(
  host: UpdateHost,
  prepared: PreparedUpdate,
): Promise<{ prepared: PreparedUpdate; current: { value: QuickBooksEntity; ours: boolean } }> {
  const posted = prepared.order.postedTransaction!;
  const value = await host.read(entityOf(posted), posted.id);
  return {
    prepared,
    current: { value, ours: text(value.PrivateNote).includes(postingMarker(prepared.order)) },
  };
}

/**
 * QuickBooks' refusals of an update, with what to do: a closed period (6210), an invoice a payment is applied to
 * (6000/6540), a transaction deleted in QuickBooks (610).
 */
export function withUpdateHint(error: QuickBooksError, prepared: PreparedUpdate): QuickBooksError {
  const what = `${entityOf(prepared.order.postedTransaction!)} ${prepared.order.postedTransaction!.docNumber ?? prepared.order.postedTransaction!.id}`;
  const hint =
    error.quickbooksCode === '6210'
      ? `QuickBooks' books are closed for this date, so ${what} cannot change: ask whoever closed the books to reopen the period, or record the change as a refund`
      : error.quickbooksCode === '6540' ||
          (error.quickbooksCode === '6000' &&
            /payment|deposit/i.test(`${error.detail ?? ''} ${error.quickbooksMessage}`))
        ? `a payment or deposit is applied to ${what} in QuickBooks, which will not let its amounts change: unlink the payment in QuickBooks, or record the change as a refund`
        : error.quickbooksCode === '610'
          ? `${what} no longer exists in QuickBooks: undo the posting (the order becomes NEW), then post it again`
          : error.hint;
  return hint === error.hint || hint === undefined ? error : withHint(error, hint);
}
