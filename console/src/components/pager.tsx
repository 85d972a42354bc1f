import { useCallback, useState } from 'react';

/** Forward cursors with a stack, so Relay connections (after only) page both ways. */
export function usePager() {
  const [stack, setStack] = useState<Array<string | null>>([null]);
  const after = stack[stack.length - 1] ?? null;
  return {
    after,
    page: stack.length,
    next: (endCursor: string | null | undefined) => endCursor && setStack((s) => [...s, endCursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: useCallback(() => setStack([null]), []),
  };
}

export interface PagerProps {
  pager: ReturnType<typeof usePager>;
  pageSize: number;
  shown: number;
  totalCount: number;
  hasNextPage: boolean;
  endCursor?: string | null;
  what: string;
}

export function Pager({ pager, pageSize, shown, totalCount, hasNextPage, endCursor, what }: PagerProps) {
  const first = totalCount === 0 ? 0 : (pager.page - 1) * pageSize + 1;
  return (
    <nav className="pager" aria-label={`${what} pages`}>
      <span>
        {first}–{first + Math.max(shown - 1, 0)} of {totalCount} {what}
      </span>
      <button type="button" onClick={pager.previous} disabled={pager.page === 1}>
        Previous page
      </button>
      <button type="button" onClick={() => pager.next(endCursor)} disabled={!hasNextPage}>
        Next page
      </button>
    </nav>
  );
}
