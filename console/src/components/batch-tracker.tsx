import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { useQuery, useSubscription } from 'urql';
import { Link } from 'wouter';
import {
  BatchProgressDocument,
  BatchResultsDocument,
  type BatchKind,
  type BatchProgressSubscription,
  type BatchResultsQuery,
} from '../gql/graphql';
import { Dialog } from './dialog';
import { Problems } from './problems';
import { ProgressBar } from './progress';

type Progress = BatchProgressSubscription['batchProgress'];
type ResultItem = NonNullable<BatchResultsQuery['batch']>['items']['edges'][number]['node'];

const TERMINAL = new Set(['COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED']);
const RESULTS_PAGE = 200;

/** How each kind of batch is worded: the bar while it runs, the results dialog, and a success. */
const WORDING: Record<BatchKind, { running: string; results: string; succeeded: string }> = {
  POST_ORDERS: { running: 'Posting to QuickBooks', results: 'Posting results', succeeded: 'Posted' },
  REFERENCE_IMPORT: {
    running: 'Importing from QuickBooks',
    results: 'Import results',
    succeeded: 'Imported',
  },
  UNDO_ORDERS: { running: 'Undoing sync', results: 'Undo results', succeeded: 'Removed' },
  SEND_INVOICES: { running: 'Sending invoices', results: 'Send results', succeeded: 'Sent' },
  EXPORT: { running: 'Exporting to QuickBooks', results: 'Export results', succeeded: 'Exported' },
  APPLY_APPROVED: { running: 'Applying approved changes', results: 'Sync results', succeeded: 'Applied' },
  RETRY: { running: 'Retrying', results: 'Retry results', succeeded: 'Succeeded' },
  EMAIL_INVOICES: { running: 'E-mailing invoices', results: 'E-mail results', succeeded: 'E-mailed' },
  RECORD_PAYMENTS: { running: 'Recording payments', results: 'Payment results', succeeded: 'Recorded' },
  REFUND_ORDERS: { running: 'Refunding', results: 'Refund results', succeeded: 'Refunded' },
};

export interface TrackedBatch {
  id: string;
  kind: BatchKind;
  /** Called once the batch has finished (refresh the lists it changed). */
  onDone?: () => void;
}

interface Tracker {
  /** Follows a batch: a progress bar along the bottom of every screen, then the results dialog. */
  track(batch: TrackedBatch): void;
  /** Whether a batch is running now (one at a time, like the desktop tools people know). */
  busy: boolean;
}

const TrackerContext = createContext<Tracker>({ track: () => undefined, busy: false });

export const useBatchTracker = (): Tracker => useContext(TrackerContext);

export function BatchTrackerProvider({ children }: { children: ReactNode }) {
  // The bar stays at 100% behind the results dialog, until the person closes the dialog.
  const [current, setCurrent] = useState<{ batch: TrackedBatch; finished: boolean } | null>(null);
  const track = useCallback((batch: TrackedBatch) => setCurrent({ batch, finished: false }), []);
  const done = useCallback((batch: TrackedBatch) => {
    setCurrent((now) => (now?.batch === batch ? { batch, finished: true } : now));
    batch.onDone?.();
  }, []);
  const busy = current !== null && !current.finished;
  const value = useMemo(() => ({ track, busy }), [track, busy]);
  return (
    <TrackerContext.Provider value={value}>
      {children}
      {current ? (
        <BatchProgressBar
          key={current.batch.id}
          batch={current.batch}
          onFinished={done}
          onDismiss={() => setCurrent(null)}
        />
      ) : null}
      {current?.finished ? <BatchResults batch={current.batch} onClose={() => setCurrent(null)} /> : null}
    </TrackerContext.Provider>
  );
}

/** The bottom bar: how far the batch is and which item it just worked on. */
function BatchProgressBar({
  batch,
  onFinished,
  onDismiss,
}: {
  batch: TrackedBatch;
  onFinished: (batch: TrackedBatch) => void;
  /** When the progress cannot be followed: put the bar away (the batch goes on; its results are in the lists). */
  onDismiss: () => void;
}) {
  const [{ data, error }] = useSubscription<BatchProgressSubscription, Progress | undefined>(
    { query: BatchProgressDocument, variables: { id: batch.id } },
    // The last event (the batch's end) names no item: keep showing the last one that finished.
    (previous, event) => ({
      ...event.batchProgress,
      item: event.batchProgress.item ?? previous?.item ?? null,
    }),
  );
  const progress = data;
  const finished = progress ? TERMINAL.has(progress.status) : false;
  const reported = useRef(false);
  useEffect(() => {
    if (finished && !reported.current) {
      reported.current = true;
      onFinished(batch);
    }
  }, [finished, batch, onFinished]);

  const wording = WORDING[batch.kind];
  const processed = progress?.processed ?? 0;
  const total = progress?.total ?? 0;
  const current = progress?.item?.label;
  const text = progress ? `${processed} of ${total}${current ? ` · ${current}` : ''}` : 'Starting…';
  return (
    <section className="batch-bar" aria-label={wording.running}>
      <div className="batch-bar-text" role="status">
        <strong>{wording.running}</strong> <span>{text}</span>
      </div>
      <ProgressBar label={wording.running} done={processed} total={total} text={text} />
      {error ? (
        <>
          <Problems error={error} />
          <button type="button" onClick={onDismiss}>
            Hide progress
          </button>
        </>
      ) : null}
    </section>
  );
}

/** The results pop-up: every item with Posted (green) or Failed, its message and what to do next. */
function BatchResults({ batch, onClose }: { batch: TrackedBatch; onClose: () => void }) {
  const wording = WORDING[batch.kind];
  const [after, setAfter] = useState<string | null>(null);
  const [items, setItems] = useState<ResultItem[]>([]);
  const [{ data, error, fetching }] = useQuery({
    query: BatchResultsDocument,
    variables: { id: batch.id, first: RESULTS_PAGE, after },
    requestPolicy: 'network-only',
  });
  const page = data?.batch?.items;
  useEffect(() => {
    if (!page) return;
    const nodes = page.edges.map((edge) => edge.node);
    setItems((previous) => (after === null ? nodes : [...previous, ...nodes]));
  }, [page, after]);
  const summary = data?.batch;
  // What needs a person comes first: failures, then the rest in batch order.
  const ordered = [...items].sort((a, b) => Number(b.status === 'FAILED') - Number(a.status === 'FAILED'));
  return (
    <Dialog
      title={wording.results}
      onClose={onClose}
      wide
      actions={
        <button type="button" className="primary" data-autofocus onClick={onClose}>
          Close
        </button>
      }
    >
      <Problems error={error} />
      {summary ? (
        <div className="results-summary">
          <span className="badge badge-good">
            {summary.succeeded} {wording.succeeded.toLowerCase()}
          </span>{' '}
          <span className={summary.failed > 0 ? 'badge badge-bad' : 'badge badge-neutral'}>
            {summary.failed} failed
          </span>{' '}
          of {summary.total}
          {summary.error ? <Problems problems={[summary.error]} /> : null}
          {summary.failed > 0 && batch.kind === 'POST_ORDERS' ? (
            <>
              {' '}
              · Failed orders wait in the{' '}
              <Link href="/errors" onClick={onClose}>
                Errors view
              </Link>
              .
            </>
          ) : null}
        </div>
      ) : (
        <p role="status">Loading results…</p>
      )}
      <ul className="results" aria-label={wording.results}>
        {ordered.map((item) => (
          <li key={item.entityId} className={`result result-${item.status.toLowerCase()}`}>
            <span className="result-label">{item.label}</span>
            <span className="result-status">
              {item.status === 'SUCCEEDED'
                ? wording.succeeded
                : item.status === 'FAILED'
                  ? 'Failed'
                  : item.status.toLowerCase()}
            </span>
            {item.error ? (
              <span className="result-error">
                {item.error.message}
                {item.error.code ? ` (${item.error.code})` : ''}
                {item.error.hint ? <em className="hint"> {item.error.hint}</em> : null}
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {page?.pageInfo.hasNextPage ? (
        <button type="button" disabled={fetching} onClick={() => setAfter(page.pageInfo.endCursor ?? null)}>
          Show more results
        </button>
      ) : null}
    </Dialog>
  );
}
