import {
  ISO_4217_CODES,
  MONEY_RULE,
  QUANTITY_RULE,
  decimalProblem,
  fitsMoneyColumn,
  formatMoney,
  formatQuantity,
  isCurrencyCode,
  lineAmount,
  orderTotal,
  sumMoney,
} from '../../src/services/money';

describe('money', () => {
  it('rounds line amounts half-up at exactly half a cent', () => {
    expect(formatMoney(lineAmount('1', '0.005'))).toBe('0.01');
    expect(formatMoney(lineAmount('0.5', '0.01'))).toBe('0.01'); // 0.005
    expect(formatMoney(lineAmount('0.5', '0.03'))).toBe('0.02'); // 0.015: half-up, not half-even (0.02 either way)
    expect(formatMoney(lineAmount('0.5', '0.05'))).toBe('0.03'); // 0.025: half-even would give 0.02
    expect(formatMoney(lineAmount('1.5', '0.03'))).toBe('0.05'); // 0.045: a float gives 0.04499999…
    expect(formatMoney(lineAmount('3', '0.335'))).toBe('1.01'); // 1.005: a float multiplication gives 1.0050000000000001, toFixed gives 1.00
    expect(formatMoney(lineAmount('0.333333', '3.00'))).toBe('1.00'); // 0.999999
    expect(formatMoney(lineAmount('0.004999', '1'))).toBe('0.00');
  });

  it('computes exactly where floats drift', () => {
    expect(formatMoney(lineAmount('3', '0.10'))).toBe('0.30');
    expect(formatMoney(sumMoney(['0.10', '0.20']))).toBe('0.30');
    expect(0.1 + 0.2).not.toBe(0.3); // the reason for all of this
    expect(formatMoney(lineAmount('1.15', '100'))).toBe('115.00');
  });

  it('keeps large values exact up to the 16-digit column limit', () => {
    expect(formatMoney(lineAmount('1', '9999999999999999.99'))).toBe('9999999999999999.99');
    expect(formatMoney(lineAmount('123456.789012', '98765432.10'))).toBe('12193263112448.71'); // …448.71208520
    expect(formatMoney(lineAmount('0.5', '1234567890123.45'))).toBe('617283945061.73'); // floats give …61.72
    expect(formatMoney(lineAmount('1.5', '999999999999.99'))).toBe('1499999999999.99'); // floats give …99.98
    expect(formatMoney(sumMoney(['9007199254740993.01', '0.01']))).toBe('9007199254740993.02'); // above 2^53
    expect(fitsMoneyColumn('9999999999999999.99')).toBe(true);
    expect(fitsMoneyColumn('10000000000000000.00')).toBe(false);
  });

  it('totals many lines with charges, discount and tax', () => {
    const amounts = Array.from({ length: 1000 }, () => formatMoney(lineAmount('3', '0.335'))); // 1.01 each
    expect(
      formatMoney(orderTotal({ lines: amounts, charges: ['5.99', '1.01'], discount: '10.00', tax: '8.25' })),
    ).toBe('1015.25'); // 1010.00 + 7.00 − 10.00 + 8.25
    expect(formatMoney(orderTotal({ lines: ['10.00'], charges: [], discount: '10.00', tax: '0' }))).toBe(
      '0.00',
    );
  });

  it('formats money with two decimals and quantities in their shortest exact form', () => {
    expect(formatMoney('7')).toBe('7.00');
    expect(formatMoney('-0.001')).toBe('0.00');
    expect(formatQuantity('2.500')).toBe('2.5');
    expect(formatQuantity('0.000001')).toBe('0.000001');
    expect(formatQuantity('10')).toBe('10');
  });

  it('names the rule a value breaks', () => {
    expect(decimalProblem('12.50', MONEY_RULE)).toBeNull();
    expect(decimalProblem('0', MONEY_RULE)).toBeNull();
    expect(decimalProblem('12.505', MONEY_RULE)).toBe('must have at most 2 decimal places');
    expect(decimalProblem('-1.00', MONEY_RULE)).toBe('must not be negative');
    expect(decimalProblem('1e3', MONEY_RULE)).toMatch(/decimal number/);
    expect(decimalProblem(12.5, MONEY_RULE)).toMatch(/decimal number/);
    expect(decimalProblem('10000000000000000', MONEY_RULE)).toBe('must be less than 10^16');
    expect(decimalProblem('0.000001', QUANTITY_RULE)).toBeNull();
    expect(decimalProblem('0', QUANTITY_RULE)).toBe('must be greater than 0');
    expect(decimalProblem('0.0000001', QUANTITY_RULE)).toBe('must have at most 6 decimal places');
  });

  it('knows current ISO 4217 currencies and refuses the rest', () => {
    for (const code of ['USD', 'EUR', 'GBP', 'CAD', 'JPY', 'XCG', 'ZWG', 'SLE'])
      expect(isCurrencyCode(code)).toBe(true);
    for (const code of ['usd', 'US', 'USDT', 'XXX', 'XAU', 'ABC', 'HRK', 'VEF', ''])
      expect(isCurrencyCode(code)).toBe(false);
    expect(ISO_4217_CODES.size).toBeGreaterThan(150);
  });
});
