import type {
  ChargeKind,
  ConnectionEntity,
  ConnectionSettingsData,
  ReferenceEntityRow,
  StoredSyncError,
} from '../../entities';
import { DEFAULT_CONNECTION_SETTINGS } from '../../entities';
import { AppError } from '../../errors';
import { REAUTHORIZE_HINT } from './token-custodian';

/** What work a connection is checked for. */
export type ReadinessPurpose = 'POST_ORDERS' | 'SEND_INVOICES' | 'REFUND' | 'UNDO';

/** What the work at hand needs beyond every posting's settings (from the orders or invoices it is about). */
export interface ReadinessNeeds {
  /** Some order has a discount. */
  discount?: boolean;
  /** Some order carries no customer. */
  noCustomer?: boolean;
  /** Charge kinds the orders carry (freight may go on QuickBooks' shipping line, so it is not required here). */
  charges?: Iterable<ChargeKind>;
  /** Refunds to make: a RefundReceipt needs the account it is paid from. */
  kinds?: Iterable<'REFUND_RECEIPT' | 'CREDIT_MEMO'>;
}

export interface Readiness {
  ready: boolean;
  /** Every missing or invalid setting at once, each with what to do. */
  problems: StoredSyncError[];
}

/** A reference setting's rule: which mirrored list and kinds it accepts. */
export interface ReferenceRule {
  type: ReferenceEntityRow['type'];
  kinds?: string[];
  what: string;
}

const problem = (code: string, message: string, hint: string): StoredSyncError => ({
  code,
  message,
  detail: null,
  hint,
  direction: null,
  at: new Date().toISOString(),
});

const CHARGE_ITEM: Partial<Record<ChargeKind, keyof ConnectionSettingsData>> = {
  HANDLING: 'handlingItemId',
  PACKAGING: 'packagingItemId',
  OTHER: 'handlingItemId',
};

/**
 * Everything that stops a connection from doing this work now, at once: its status, integrations off, settings every
 * posting needs, settings the work at hand needs, and set references that no longer hold (gone, inactive, wrong kind).
 * `mirror` finds a mirrored list object by type and QuickBooks id.
 */
export function readinessOf(
  connection: ConnectionEntity,
  purpose: ReadinessPurpose,
  needs: ReadinessNeeds,
  rules: Partial<Record<keyof ConnectionSettingsData, ReferenceRule>>,
  mirror: (type: ReferenceEntityRow['type'], id: string) => ReferenceEntityRow | undefined,
): Readiness {
  const problems: StoredSyncError[] = [];
  const settings = { ...DEFAULT_CONNECTION_SETTINGS, ...connection.settings };
  if (connection.status !== 'CONNECTED') {
    problems.push(
      problem(
        'NOT_CONNECTED',
        `Connection "${connection.name}" is ${connection.status}`,
        connection.status === 'PENDING_AUTHORIZATION'
          ? 'finish connecting it to QuickBooks'
          : REAUTHORIZE_HINT,
      ),
    );
  }
  if (!settings.enabled) {
    problems.push(
      problem(
        'DISABLED',
        `Integrations are disabled for connection "${connection.name}"`,
        'turn "enabled" on in the connection settings to send data to QuickBooks',
      ),
    );
  }
  const required = new Map<keyof ConnectionSettingsData, string>();
  if (purpose === 'POST_ORDERS' || purpose === 'SEND_INVOICES') {
    required.set('incomeAccountId', 'the income account of products the gateway creates');
    if (settings.newItemKind === 'INVENTORY') {
      required.set(
        'inventoryAssetAccountId',
        'the inventory asset account of inventory items the gateway creates',
      );
      required.set(
        'costOfGoodsSoldAccountId',
        'the cost of goods sold account of inventory items the gateway creates',
      );
      required.set('defaultInventoryStartDate', 'the start date of inventory items the gateway creates');
    }
    if (needs.discount)
      required.set('discountAccountId', 'the account discounts post to (some orders have one)');
    if (needs.noCustomer) required.set('defaultCustomerName', 'the customer of orders that carry none');
    for (const kind of needs.charges ?? []) {
      const setting = CHARGE_ITEM[kind];
      if (setting)
        required.set(setting, `the item ${kind.toLowerCase()} charges post on (some orders have one)`);
    }
  }
  if (
    purpose === 'REFUND' &&
    [...(needs.kinds ?? [])].includes('REFUND_RECEIPT') &&
    !settings.depositAccountId
  ) {
    required.set('refundAccountId', 'the account refunds of sales receipts are paid from');
  }
  for (const [setting, what] of required) {
    const value = settings[setting];
    if (value === null || value === undefined || value === '') {
      problems.push(
        problem(
          'MISSING_SETTING',
          `${setting} is not set: ${what}`,
          `set ${setting} in the connection settings`,
        ),
      );
    }
  }
  for (const [setting, rule] of Object.entries(rules) as Array<
    [keyof ConnectionSettingsData, ReferenceRule]
  >) {
    const value = settings[setting];
    if (
      typeof value !== 'string' ||
      value === '' ||
      (rule.type === 'TAX_CODE' && /^(TAX|NON)$/.test(value))
    ) {
      continue;
    }
    const row = mirror(rule.type, value);
    const wrong = !row
      ? `QuickBooks has no ${rule.what} with id ${value}`
      : !row.active
        ? `"${row.name}" is inactive in QuickBooks`
        : rule.kinds && !rule.kinds.includes(row.kind ?? '')
          ? `"${row.name}" is ${row.kind ?? 'of another kind'}; ${setting} needs ${rule.what}`
          : undefined;
    if (wrong) {
      problems.push(
        problem(
          'INVALID_SETTING',
          `${setting}: ${wrong}`,
          `choose another ${rule.what} for ${setting} (sync reference data first if it was just added)`,
        ),
      );
    }
  }
  return { ready: problems.length === 0, problems };
}

const PURPOSE_TEXT: Record<ReadinessPurpose, string> = {
  POST_ORDERS: 'post orders',
  SEND_INVOICES: 'send invoices',
  REFUND: 'refund orders',
  UNDO: 'undo postings',
};

/** CONNECTION_NOT_READY naming every problem (message), the first hint, and all of them in `extensions.problems`. */
export function notReadyError(
  connection: ConnectionEntity,
  purpose: ReadinessPurpose,
  readiness: Readiness,
): AppError {
  const { problems } = readiness;
  return new AppError(
    'CONNECTION_NOT_READY',
    `Connection "${connection.name}" cannot ${PURPOSE_TEXT[purpose]} yet: ${problems.map((p) => p.message).join('; ')}`,
    {
      hint: problems.map((p) => p.hint).join('; '),
      extensions: {
        connectionId: connection.id,
        status: connection.status,
        problems: problems.map(({ code, message, hint }) => ({ code, message, hint })),
      },
    },
  );
}

/** Connected with integrations on, or CONNECTION_NOT_READY saying which and what to do. */
export function assertReady(connection: ConnectionEntity): void {
  if (connection.status !== 'CONNECTED') {
    throw new AppError('CONNECTION_NOT_READY', `Connection "${connection.name}" is ${connection.status}`, {
      hint:
        connection.status === 'PENDING_AUTHORIZATION'
          ? 'finish connecting it to QuickBooks'
          : REAUTHORIZE_HINT,
      extensions: { connectionId: connection.id, status: connection.status },
    });
  }
  if (!connection.settings.enabled) {
    throw new AppError(
      'CONNECTION_NOT_READY',
      `Integrations are disabled for connection "${connection.name}"`,
      {
        hint: 'turn "enabled" on in the connection settings to send data to QuickBooks',
        extensions: { connectionId: connection.id, status: connection.status },
      },
    );
  }
}
