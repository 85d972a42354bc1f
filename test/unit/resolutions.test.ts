import { MappingProblem } from '../../src/services/posting/posting-mapper';
import { Resolutions } from '../../src/services/posting/resolutions';
import { stateOf } from '../support/wait';

describe('Resolutions (a transaction waits only for its own customers and items)', () => {
  it('settles a wait once every key it names is settled, whatever else is still open', async () => {
    const board = new Resolutions();
    const mine = board.whenSettled(['a', 'b']);
    const theirs = board.whenSettled(['c']);
    board.set('a', { id: '1' });
    expect(await stateOf(mine)).toBe('pending');
    board.set('b', { problem: new MappingProblem('no item', 'fix it') });
    expect(await stateOf(mine)).toBe('resolved');
    expect(await stateOf(theirs)).toBe('pending');
    expect(board.get('a')).toEqual({ id: '1' });
    expect(board.get('b')).toHaveProperty('problem');
  });

  it('answers at once for keys already settled, and after close() for keys that never will be', async () => {
    const board = new Resolutions().set('a', { id: '1' });
    expect(await stateOf(board.whenSettled(['a']))).toBe('resolved');
    const missing = board.whenSettled(['a', 'never']);
    expect(await stateOf(missing)).toBe('pending');
    board.close();
    expect(await stateOf(missing)).toBe('resolved');
    expect(board.get('never')).toBeUndefined();
    expect(await stateOf(board.whenSettled(['other']))).toBe('resolved');
  });

  it('gives everyone waiting the error the resolution failed with', async () => {
    const board = new Resolutions();
    const waiting = board.whenSettled(['a']);
    const failure = new Error('QuickBooks is down');
    board.fail(failure);
    await expect(waiting).rejects.toBe(failure);
    await expect(board.whenSettled(['b'])).rejects.toBe(failure);
  });
});
