import type { ConnectionEntity, ConnectionSettingsData } from '../../entities';
import { QuickBooksError, type QuickBooksClient, type QuickBooksEntity } from '../../quickbooks';
import type { ReferenceService } from '../reference.service';
import type { SyncLogEntry } from '../sync-log.service';

/** Card brands whose QuickBooks payment method is of Type CREDIT_CARD (QuickBooks' two types; the rest are not). */
const CARD_NAMES =
  /\b(visa|master\s?card|amex|american express|discover|diners|jcb|maestro|credit card|card)\b/i;

const quote = (value: string): string => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** QuickBooks PaymentMethod names: at most 31 characters. */
export const paymentMethodName = (name: string): string => name.trim().slice(0, 31);
const key = (name: string): string => paymentMethodName(name).toLowerCase();

/**
 * Maps an order's `paymentMethod` ("Visa", "PayPal") to a QuickBooks PaymentMethod id by name, case-insensitively:
 * the mirror first, then QuickBooks, then (when `createMissingPaymentMethods` is on) a new payment method. A name that
 * finds nothing leaves the transaction with the connection's `defaultPaymentMethodId`.
 */
export class PaymentMethodResolver {
  private readonly byName = new Map<string, string>();

  constructor(
    private readonly connection: ConnectionEntity,
    private readonly client: QuickBooksClient,
    private readonly references: ReferenceService,
  ) {}

  /** Ids by lower-cased name for the given names (absent: use the default); sync logs of what was created. */
  async resolve(
    names: ReadonlySet<string>,
    settings: ConnectionSettingsData,
    log: (entry: Pick<SyncLogEntry, 'action' | 'label' | 'quickbooksId' | 'message'>) => SyncLogEntry,
  ): Promise<{ ids: Map<string, string>; logs: SyncLogEntry[] }> {
    const logs: SyncLogEntry[] = [];
    const wanted = [...new Set([...names].map(paymentMethodName).filter(Boolean))];
    if (wanted.length === 0) return { ids: new Map(), logs };
    for (const row of await this.references.matchIndex(this.connection.id, 'PAYMENT_METHOD')) {
      if (row.active) this.byName.set(row.name.toLowerCase(), row.quickbooksId);
    }
    let missing = wanted.filter((name) => !this.byName.has(key(name)));
    if (missing.length > 0) {
      // Added in QuickBooks since the last import?
      const found = await this.client.query(
        `SELECT * FROM PaymentMethod WHERE Name IN (${missing.map(quote).join(', ')}) MAXRESULTS 1000`,
      );
      await this.remember(found.items.filter((m) => m.Active !== false));
      missing = missing.filter((name) => !this.byName.has(key(name)));
    }
    if (missing.length > 0 && settings.createMissingPaymentMethods) {
      for (const name of missing) {
        let created: QuickBooksEntity;
        try {
          created = await this.client.create('PaymentMethod', {
            Name: name,
            Type: CARD_NAMES.test(name) ? 'CREDIT_CARD' : 'NON_CREDIT_CARD',
          });
        } catch (error) {
          // Names are unique: an earlier run whose answer was lost created it already.
          if (!(error instanceof QuickBooksError) || error.quickbooksCode !== '6240') throw error;
          const again = await this.client.query(`SELECT * FROM PaymentMethod WHERE Name = ${quote(name)}`);
          await this.remember(again.items);
          continue;
        }
        await this.remember([created]);
        logs.push(
          log({
            action: 'CREATE',
            label: name,
            quickbooksId: String(created.Id),
            message: `created payment method "${name}" (createMissingPaymentMethods is on)`,
          }),
        );
      }
    }
    const ids = new Map<string, string>();
    for (const name of wanted) {
      const id = this.byName.get(key(name));
      if (id) ids.set(key(name), id);
    }
    return { ids, logs };
  }

  private async remember(methods: QuickBooksEntity[]): Promise<void> {
    if (methods.length === 0) return;
    for (const m of methods)
      if (typeof m.Name === 'string') this.byName.set(m.Name.toLowerCase(), String(m.Id));
    await this.references.upsert(this.connection, 'PAYMENT_METHOD', methods);
  }
}

/** The PaymentMethodRef id of an order: its own payment method's, else the connection's default. */
export function paymentMethodIdOf(
  paymentMethod: string | null,
  ids: ReadonlyMap<string, string>,
  settings: ConnectionSettingsData,
): string | null {
  return (paymentMethod ? ids.get(key(paymentMethod)) : undefined) ?? settings.defaultPaymentMethodId ?? null;
}
