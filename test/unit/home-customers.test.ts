import type { OrderEntity } from '../../src/entities';
import { HomeCustomers } from '../../src/services/posting/home-customers';
import { customerKey, type Resolution } from '../../src/services/posting/posting-references';
import { Resolutions } from '../../src/services/posting/resolutions';
import { stateOf } from '../support/wait';

/** QuickBooks' side of the creations, answered by the test: each call waits until the test settles it. */
function creations() {
  const calls: Array<{ names: string[]; settle: (error?: Error) => void }> = [];
  const references = {
    homeCurrency: 'USD',
    resolveCustomers: <S>(wanted: Map<string, { name: string }>, into?: S): Promise<S> =>
      new Promise<S>((resolve, reject) =>
        calls.push({
          names: [...wanted.values()].map((w) => w.name),
          settle: (error) => {
            if (error) return reject(error);
            for (const key of wanted.keys())
              (into as unknown as Map<string, Resolution>).set(key, { id: `id-${key}` });
            resolve(into as S);
          },
        }),
      ),
  };
  return { calls, references };
}

const order = { currency: 'USD' } as OrderEntity;
const customers = (...names: string[]) => names.map((name) => ({ name, order }));

describe('HomeCustomers (customers created without a look-up, window after window)', () => {
  it('has a later window wait for the creation an earlier one started of a customer they share', async () => {
    const { calls, references } = creations();
    const into = new Resolutions();
    const home = new HomeCustomers('USD', references as never, into);
    const first = home.create(customers('Ada', 'Grace'));
    const second = home.create(customers('Grace', 'Linus'));
    expect(calls.map((c) => c.names)).toEqual([['Ada', 'Grace'], ['Linus']]);
    calls[1]!.settle();
    // Linus is in, but Grace is still being created by the first window's call: the second window is not done.
    expect(await stateOf(second)).toBe('pending');
    calls[0]!.settle();
    expect(await stateOf(first)).toBe('resolved');
    expect(await stateOf(second)).toBe('resolved');
    expect(into.get(customerKey('Grace', null))).toEqual({ id: `id-${customerKey('Grace', null)}` });
  });

  it("fails a later window with an earlier window's failed creation of a shared customer", async () => {
    const { calls, references } = creations();
    const home = new HomeCustomers('USD', references as never, new Resolutions());
    const first = home.create(customers('Ada'));
    const second = home.create(customers('Ada'));
    expect(calls).toHaveLength(1);
    calls[0]!.settle(new Error('QuickBooks did not answer'));
    await expect(first).rejects.toThrow('did not answer');
    await expect(second).rejects.toThrow('did not answer');
  });

  it('leaves customers in other currencies to the look-ups', async () => {
    const { calls, references } = creations();
    const home = new HomeCustomers('USD', references as never, new Resolutions());
    await home.create([{ name: 'Euro Kunde', order: { currency: 'EUR' } as OrderEntity }]);
    expect(calls).toHaveLength(0);
    expect(home.has(customerKey('Euro Kunde', null))).toBe(false);
  });
});
