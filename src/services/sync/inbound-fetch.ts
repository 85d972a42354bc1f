/**
 * Reading changed objects from QuickBooks in bulk: one CDC call for every CDC-capable entity since the oldest change
 * (paged on when an entity hits CDC's 1,000), then `Id IN (...)` queries for whatever CDC did not carry (TaxCode and
 * TaxRate, transactions, changes older than CDC's window). Never one GET per change.
 */
import type { QuickBooksClient, QuickBooksEntity } from '../../quickbooks';
import type { CoverageRead } from './inbound-coverage';

/** Entities CDC answers for (Intuit's list excludes TaxCode, TaxRate, TaxAgency, JournalCode, TimeActivity). */
export const CDC_ENTITIES = new Set([
  'Account',
  'Term',
  'Class',
  'Department',
  'PaymentMethod',
  'Customer',
  'Item',
  'Invoice',
  'SalesReceipt',
  'CreditMemo',
  'RefundReceipt',
  'Payment',
]);
/** Name lists: a query must ask for inactive objects too. */
const NAME_LISTS = new Set([
  'Account',
  'Term',
  'Class',
  'Department',
  'PaymentMethod',
  'Customer',
  'Item',
  'TaxCode',
  'TaxRate',
]);
/** CDC looks back 30 days; stay a day inside it. */
export const CDC_SAFE_WINDOW_MS = 29 * 86_400_000;
const CDC_PAGE = 1000;
const IDS_PER_QUERY = 200;

export interface FetchWant {
  ids: Set<string>;
  /** The oldest change time known for this entity (null: unknown, so no CDC for it). */
  since: Date | null;
  /** Where a CDC read for it may start instead (ms): the end of what earlier reads covered. */
  cdcSince?: number;
}

export interface FetchResult {
  objects: Map<string, QuickBooksEntity[]>;
  /** QuickBooks calls made. */
  calls: number;
  /** Entities whose CDC answer was cut at 1,000 without progress (callers re-import those). */
  truncated: Set<string>;
  /** What each entity's CDC reads cover (for `CdcCoverage`). */
  reads: CoverageRead[];
}

/** CDC for `entities` since `since`, paging each entity on past CDC's 1,000 per answer. */
export async function cdcAll(
  client: QuickBooksClient,
  entities: string[],
  since: Date,
): Promise<FetchResult> {
  const objects = new Map<string, QuickBooksEntity[]>(entities.map((e) => [e, []]));
  const truncated = new Set<string>();
  const answeredAt = new Map<string, number>();
  let calls = 0;
  let round = entities.map((entity) => ({ entity, since }));
  while (round.length > 0) {
    // Entities sharing a `since` share a call.
    const groups = new Map<number, string[]>();
    for (const { entity, since: from } of round)
      groups.set(from.getTime(), [...(groups.get(from.getTime()) ?? []), entity]);
    const next: typeof round = [];
    for (const [from, group] of groups) {
      calls++;
      // Without QuickBooks' own time on the answer, our clock a little before the call stands in for it.
      const asked = Date.now() - 5000;
      const answer = await client.cdc(group, new Date(from));
      const time = answer.time ? Date.parse(answer.time) : NaN;
      for (const entity of group) {
        const items = answer.entities[entity] ?? [];
        objects.get(entity)!.push(...items);
        answeredAt.set(entity, Number.isNaN(time) ? asked : time);
        if (items.length < CDC_PAGE) continue;
        // Oldest first and cut at 1,000: complete only before the last item's second.
        const last = Math.max(...items.map(lastUpdatedMs));
        answeredAt.set(entity, last);
        if (!(last > from)) truncated.add(entity);
        else next.push({ entity, since: new Date(last) });
      }
    }
    round = next;
  }
  const reads: CoverageRead[] = entities.map((entity) => ({
    entity,
    since: since.getTime(),
    answeredAt: answeredAt.get(entity) ?? since.getTime(),
    objects: objects.get(entity)!.map((o) => [String(o.Id), lastUpdatedMs(o)]),
  }));
  return { objects, calls, truncated, reads };
}

const lastUpdatedMs = (object: QuickBooksEntity): number => {
  const meta = object.MetaData as { LastUpdatedTime?: string } | undefined;
  const ms = meta?.LastUpdatedTime ? Date.parse(meta.LastUpdatedTime) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
};

/** Objects by id, `Id IN (...)` 200 at a time (inactive name-list objects included). */
export async function queryByIds(
  client: QuickBooksClient,
  entity: string,
  ids: string[],
): Promise<{ objects: QuickBooksEntity[]; calls: number }> {
  const objects: QuickBooksEntity[] = [];
  let calls = 0;
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const list = ids
      .slice(i, i + IDS_PER_QUERY)
      .map((id) => `'${id.replace(/[^0-9A-Za-z_-]/g, '')}'`)
      .join(', ');
    const active = NAME_LISTS.has(entity) ? ' AND Active IN (true, false)' : '';
    calls++;
    const page = await client.query(`SELECT * FROM ${entity} WHERE Id IN (${list})${active} MAXRESULTS 1000`);
    objects.push(...page.items);
  }
  return { objects, calls };
}

/**
 * The current state of every wanted object: CDC for the CDC-capable entities whose oldest change is inside CDC's
 * window (one call for all of them, from the earliest `cdcSince`, else a second before the oldest change), then
 * `Id IN` queries for wanted ids CDC did not return.
 */
export async function fetchChanged(
  client: QuickBooksClient,
  wants: Map<string, FetchWant>,
  nowMs = Date.now(),
): Promise<FetchResult> {
  const objects = new Map<string, QuickBooksEntity[]>();
  const truncated = new Set<string>();
  const reads: CoverageRead[] = [];
  let calls = 0;
  const viaCdc = [...wants].filter(
    ([entity, want]) =>
      CDC_ENTITIES.has(entity) && want.since !== null && want.since.getTime() > nowMs - CDC_SAFE_WINDOW_MS,
  );
  if (viaCdc.length > 0) {
    // One second earlier than the oldest change (CDC compares whole seconds), unless a caller chained it on.
    const since = new Date(
      Math.min(...viaCdc.map(([, want]) => want.cdcSince ?? want.since!.getTime() - 1000)),
    );
    const answer = await cdcAll(
      client,
      viaCdc.map(([entity]) => entity),
      since,
    );
    calls += answer.calls;
    for (const [entity, items] of answer.objects) objects.set(entity, items);
    for (const entity of answer.truncated) truncated.add(entity);
    reads.push(...answer.reads);
  }
  for (const [entity, want] of wants) {
    const have = new Set((objects.get(entity) ?? []).map((o) => String(o.Id)));
    const missing = [...want.ids].filter((id) => !have.has(id));
    if (missing.length === 0) continue;
    const answer = await queryByIds(client, entity, missing);
    calls += answer.calls;
    objects.set(entity, [...(objects.get(entity) ?? []), ...answer.objects]);
  }
  return { objects, calls, truncated, reads };
}
