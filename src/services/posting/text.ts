import type { OrderEntity } from '../../entities';
import { AppError } from '../../errors';
import { illFormedPaths } from '../../well-formed';

/** The fields of an order that reach QuickBooks (names, numbers, lines, addresses, notes). */
const SENT_FIELDS = [
  'orderNumber',
  'customerName',
  'customer',
  'lines',
  'charges',
  'customerEmail',
  'notes',
  'paymentMethod',
  'currency',
  'channel',
  'externalId',
] as const;

/**
 * An order whose text is not well-formed Unicode (written past the API's check, e.g. straight into the database)
 * fails alone with the field named, before any of its text is put in a QuickBooks query or body: otherwise the whole
 * batch's look-ups would fail with it.
 */
export function illFormedOrderProblem(order: OrderEntity): AppError | undefined {
  // Asked several times a run for each order (scan, look-ups, bodies): the walk over its text is done once.
  if (checked.has(order)) return checked.get(order);
  const problem = findIllFormed(order);
  checked.set(order, problem);
  return problem;
}

const checked = new WeakMap<OrderEntity, AppError | undefined>();

function findIllFormed(order: OrderEntity): AppError | undefined {
  const record = order as unknown as Record<string, unknown>;
  const paths = SENT_FIELDS.flatMap((field) => illFormedPaths(record[field], field));
  if (paths.length === 0) return undefined;
  return new AppError(
    'BAD_USER_INPUT',
    `Order ${illFormedPaths(order.orderNumber, '').length ? order.id : order.orderNumber}: ${paths.join(', ')} ` +
      'not well-formed Unicode text (a lone surrogate)',
    {
      field: paths[0],
      hint: 'correct the text in the system the order came from and send the order again (upsertOrders), then post it',
    },
  );
}
