/**
 * The emulator's delivery drills on: duplicates and out-of-order deliveries. 500 random changes by a person in
 * QuickBooks end with the mirror equal to QuickBooks, field by field.
 */
import { QuickBooksWebhookDeliveryEntity } from '../../../src/entities';
import { DIALECTS } from '../../support/database';
import type { TestGateway } from '../../support/gateway';
import {
  connectedCompany,
  emulatorObjects,
  mirrorDifferences,
  personChange,
  startInboundGateway,
  type QboObject,
} from '../../support/quickbooks-webhooks';
import { until } from '../../support/wait';

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LISTS = [
  { entity: 'Customer', type: 'CUSTOMER' as const },
  { entity: 'Item', type: 'ITEM' as const },
  { entity: 'Class', type: 'CLASS' as const },
  { entity: 'Department', type: 'LOCATION' as const },
];

describe.each(DIALECTS)('QuickBooks webhook drills on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startInboundGateway(dialect);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ends 500 random changes, delivered with duplicates and out of order, with the mirror equal to QuickBooks', async () => {
    const company = await connectedCompany(t, 'Drill Co');
    const sandbox = t.gateway.sandbox!;
    sandbox.setWebhooks({ duplicateProbability: 0.3, outOfOrder: true, reorderHoldMs: 30, seed: 11 });
    const next = random(20261203);
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)];
    const accounts = await emulatorObjects(t, company.realmId, 'Account');
    const income = accounts.find((a) => a.AccountType === 'Income')!;
    let counter = 0;
    const live: Record<string, QboObject[]> = { Customer: [], Item: [], Class: [], Department: [] };
    const create = async (entity: string) => {
      const n = ++counter;
      const data: Record<string, Record<string, unknown>> = {
        Customer: { DisplayName: `Drill Customer ${n}`, PrimaryEmailAddr: { Address: `c${n}@example.com` } },
        Item: { Name: `Drill Item ${n}`, Type: 'Service', IncomeAccountRef: { value: income.Id } },
        Class: { Name: `Drill Class ${n}` },
        Department: { Name: `Drill Location ${n}` },
      };
      live[entity].push(await personChange(t, company.realmId, entity, 'create', data[entity]));
    };
    for (const { entity } of LISTS) for (let i = 0; i < 5; i++) await create(entity);

    let merges = 0;
    for (let i = 0; i < 500; i++) {
      const { entity } = pick(LISTS);
      const roll = next();
      if (roll < 0.1 || live[entity].length < 3) {
        await create(entity);
        continue;
      }
      const target = pick(live[entity]);
      if (roll < 0.13 && (entity === 'Customer' || entity === 'Item')) {
        // Merge another one into the target; the merged-away one is gone for good.
        const other = live[entity].find((o) => o.Id !== target.Id)!;
        await personChange(t, company.realmId, entity, 'merge', { Id: target.Id, MergedId: other.Id });
        live[entity] = live[entity].filter((o) => o.Id !== other.Id);
        merges++;
        continue;
      }
      const n = ++counter;
      const nameField = entity === 'Customer' ? 'DisplayName' : 'Name';
      const patch: Record<string, unknown> =
        roll < 0.25
          ? { Active: next() < 0.5 }
          : roll < 0.4 && entity === 'Customer'
            ? { PrimaryEmailAddr: { Address: `changed${n}@example.com` } }
            : roll < 0.5 && entity === 'Item'
              ? { Description: `Description ${n}` }
              : { [nameField]: `Drill ${entity} renamed ${n}` };
      await personChange(t, company.realmId, entity, 'update', { Id: target.Id, ...patch });
    }
    expect(merges).toBeGreaterThan(0);

    await sandbox.flushWebhooks();
    let differences: string[] = [];
    await until(async () => {
      differences = [];
      for (const { entity, type } of LISTS)
        differences.push(
          ...(await mirrorDifferences(t, company.realmId, company.connectionId, type, entity)),
        );
      return differences.length === 0;
    });
    expect(differences).toEqual([]);
    // The drills did happen: some deliveries came twice and were stored once.
    const duplicates = await t.gateway.dataSource
      .getRepository(QuickBooksWebhookDeliveryEntity)
      .countBy({ status: 'DUPLICATE' });
    expect(duplicates).toBeGreaterThan(0);
    sandbox.setWebhooks({ duplicateProbability: 0, outOfOrder: false });
  });
});
