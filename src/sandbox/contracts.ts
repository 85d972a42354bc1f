/**
 * The seam between the emulator's two halves:
 * - `accounting/` (the company data: store, entity rules, query language, batch, CDC, requestid replay, seed data), and
 * - the platform (`server.ts`, OAuth, limits, faults, webhooks, admin API, clock, stats, snapshots).
 * The platform authenticates and throttles a request, then hands it to `AccountingApi.handle`; the accounting half
 * reports every committed change through `onChange`, which the platform turns into webhook deliveries.
 */

/** The emulator's clock; `POST /_sandbox/clock` moves it forward. */
export interface SandboxClock {
  now(): Date;
}

/** Webhook operation names as QuickBooks spells them in the legacy format. */
export type ChangeOperation = 'Create' | 'Update' | 'Delete' | 'Merge' | 'Void' | 'Emailed';

/** One committed change to one entity of one realm. */
export interface ChangeEvent {
  realmId: string;
  /** Entity name as QuickBooks spells it: `Customer`, `SalesReceipt`, ... */
  entity: string;
  id: string;
  operation: ChangeOperation;
  /** ISO-8601 time of the change (the entity's MetaData.LastUpdatedTime). */
  lastUpdated: string;
  /** Only for Merge: the id of the entity merged away. */
  deletedId?: string;
}

/** What the platform knows about an accounting request before running it (for fault matching, limits and stats). */
export interface RequestDescription {
  /** Entity name as QuickBooks spells it (`Customer`), or undefined for query/batch/cdc. */
  entity?: string;
  /** create | read | update | delete | void | query | batch | cdc | send | pdf | companyinfo | preferences */
  operation: string;
  /** True when the request only reads (used by faults' dropResponseAfterCommit: only writes commit). */
  readOnly: boolean;
}

/** An authenticated request under `/v3/company/{realmId}/`. */
export interface AccountingRequest {
  method: 'GET' | 'POST';
  realmId: string;
  /** The path after `/v3/company/{realmId}/`, without query string: `customer`, `customer/5`, `query`, `batch`, `cdc`,
   * `companyinfo/{realmId}`, `preferences`, `invoice/5/send`, `invoice/5/pdf`. */
  path: string;
  /** Decoded query-string parameters (`minorversion`, `requestid`, `operation`, `include`, `query`, ...). */
  query: Record<string, string>;
  /** Parsed JSON body, or the raw string for `application/text` (POST query), `{multipart: [...]}` for an upload, or
   * undefined. */
  body: unknown;
  /** The origin the client reached (`http://127.0.0.1:4100`), for URLs in answers (attachment downloads). */
  origin?: string;
}

/** The answer: HTTP status and the JSON body exactly as QuickBooks would send it (a Buffer is a PDF). */
export interface AccountingResponse {
  status: number;
  body: unknown;
}

/** Implemented by `accounting/` and consumed by the platform. */
export interface AccountingApi {
  /** Classifies a request without running it. */
  describe(req: AccountingRequest): RequestDescription;
  /** Runs a request (requestid replay included) and returns QuickBooks' answer; never throws for client errors. */
  handle(req: AccountingRequest): AccountingResponse;
  /** `handle` with a batch's operations in turns of their own (`turn` between them); a repeated requestid waits. */
  handleInTurns(req: AccountingRequest, turn: () => Promise<void>): Promise<AccountingResponse>;
  /** Creates a seeded US company; returns its realm id. */
  createRealm(opts?: {
    companyName?: string;
    country?: string;
    realmId?: string;
    /** A few months of transactions on top of the seed (a lived-in company), deterministic from `seed`. */
    history?: { months?: number; seed?: number };
  }): string;
  hasRealm(realmId: string): boolean;
  listRealms(): Array<{ realmId: string; companyName: string }>;
  /** Every object of that entity type, deleted ones included (with `status: "Deleted"`). */
  adminEntities(realmId: string, entity: string): unknown[];
  /** A person editing in QuickBooks: applies the change with the normal rules (fires onChange), returns the object. */
  adminChange(
    realmId: string,
    change: {
      entity: string;
      operation: 'create' | 'update' | 'delete' | 'void' | 'merge';
      data: Record<string, unknown>;
    },
  ): AccountingResponse;
  /** Plain-JSON copy of all state (for the snapshot file) and its inverse. */
  snapshot(): unknown;
  restore(state: unknown): void;
  /** Forgets every realm. */
  reset(): void;
  /** The file of an Attachable, for its temporary download URL (`/_sandbox/attachments/{realmId}/{id}`). */
  attachmentContent?(realmId: string, id: string): { contentType: string; data: Buffer } | undefined;
}

/** Options of the accounting half. */
export interface AccountingOptions {
  clock: SandboxClock;
  onChange: (event: ChangeEvent) => void;
}
