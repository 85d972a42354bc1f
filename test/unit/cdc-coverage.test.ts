import { CdcCoverage } from '../../src/services/sync/inbound-coverage';

const at = (s: number) => new Date(Date.UTC(2026, 11, 3, 12, 0, s));
const ms = (s: number) => at(s).getTime();

describe('CdcCoverage (what earlier CDC reads already returned)', () => {
  it('covers a change older than the answer’s second that the read returned', () => {
    const coverage = new CdcCoverage();
    coverage.record('c1', {
      entity: 'Customer',
      since: ms(10),
      answeredAt: ms(15) + 400,
      objects: [
        ['1', ms(12)],
        ['2', ms(15)],
      ],
    });
    expect(coverage.covers('c1', 'Customer', '1', at(12))).toBe(true);
    // The answer's own second may still change after it.
    expect(coverage.covers('c1', 'Customer', '2', at(15))).toBe(false);
    // Not returned: read it by id.
    expect(coverage.covers('c1', 'Customer', '3', at(12))).toBe(false);
    // Another connection or entity knows nothing.
    expect(coverage.covers('c2', 'Customer', '1', at(12))).toBe(false);
    expect(coverage.covers('c1', 'Item', '1', at(12))).toBe(false);
    // The first second of the interval is left to a read (an event may be stamped after its change).
    expect(coverage.covers('c1', 'Customer', '1', at(10))).toBe(false);
    expect(coverage.covers('c1', 'Customer', '1', null)).toBe(false);
  });

  it('chains the next read on the covered end, and knows when a same-second re-read is needless', () => {
    const coverage = new CdcCoverage();
    coverage.record('c1', { entity: 'Customer', since: ms(10), answeredAt: ms(15), objects: [] });
    expect(coverage.nextSince('c1', 'Customer', ms(14))).toBe(ms(15));
    expect(coverage.nextSince('c1', 'Customer', ms(20))).toBe(ms(19));
    expect(coverage.nextSince('c1', 'Customer', ms(5))).toBe(ms(4));
    coverage.record('c1', {
      entity: 'Customer',
      since: ms(15),
      answeredAt: ms(18),
      objects: [['7', ms(17)]],
    });
    expect(coverage.covers('c1', 'Customer', '7', at(17))).toBe(true);
    expect(coverage.coveredAfter('c1', 'Customer', ms(16))).toBe(true);
    expect(coverage.coveredAfter('c1', 'Customer', ms(18))).toBe(false);
    coverage.forget('c1');
    expect(coverage.covers('c1', 'Customer', '7', at(17))).toBe(false);
  });
});
