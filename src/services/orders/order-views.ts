/** The Orders / Errors / Archived views of the order list and the filter that narrows them. */
import type { OrderStatus } from '../../entities';

export const ORDER_VIEWS = ['ORDERS', 'ERRORS', 'ARCHIVED'] as const;
export type OrderView = (typeof ORDER_VIEWS)[number];

/** The statuses each view shows (Webgility's Orders, Errors and Archived views). */
export const VIEW_STATUSES: Record<OrderView, readonly OrderStatus[]> = {
  ORDERS: ['NEW', 'QUEUED', 'POSTING', 'POSTED', 'UNCERTAIN'],
  ERRORS: ['FAILED'],
  ARCHIVED: ['ARCHIVED'],
};

export interface OrderListFilter {
  connectionId?: string | null;
  view?: OrderView | null;
  statuses?: readonly OrderStatus[] | null;
  /** Part of the order number, customer name or e-mail (case-insensitive). */
  search?: string | null;
  /** Inclusive. */
  orderDateFrom?: Date | null;
  /** Inclusive. */
  orderDateTo?: Date | null;
}

/** The statuses to show, or undefined for all: the view's, narrowed by `statuses`. */
export function selectedStatuses(filter: OrderListFilter): readonly OrderStatus[] | undefined {
  const fromView = filter.view ? VIEW_STATUSES[filter.view] : undefined;
  const asked = filter.statuses?.length ? filter.statuses : undefined;
  if (fromView && asked) return fromView.filter((status) => asked.includes(status));
  return fromView ?? asked;
}
