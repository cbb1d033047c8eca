import { consentInForceOn, covers, formatKg, isPartyOn, sumGrams, toGrams, withdrawnBy } from './compliance.helpers.js';
import { buildConsent, buildItem } from './compliance.fixtures.js';

describe('formatKg', () => {
  it('groups thousands and keeps up to three decimals', () => {
    expect(formatKg(3450)).toBe('3,450 kg');
    expect(formatKg(0.5)).toBe('0.5 kg');
    expect(formatKg(1234.5678)).toBe('1,234.568 kg');
    expect(formatKg(10_000.001)).toBe('10,000.001 kg');
    expect(formatKg(0)).toBe('0 kg');
  });
});

describe('integer grams', () => {
  it('adds kg figures without floating-point error', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(toGrams(0.1) + toGrams(0.2)).toBe(toGrams(0.3));
    expect(sumGrams([buildItem({ netMassKg: 0.1 }), buildItem({ netMassKg: 0.2 })])).toBe(300);
  });
});

describe('covers', () => {
  it('matches HS codes by prefix', () => {
    expect(covers(['2805'], '280540')).toBe(true);
    expect(covers(['280540'], '2805400010')).toBe(true);
    expect(covers(['2805400010'], '280540')).toBe(false);
    expect(covers(['2852'], '280540')).toBe(false);
    expect(covers([''], '280540')).toBe(false);
    expect(covers([], '280540')).toBe(false);
  });
});

describe('withdrawnBy and consentInForceOn', () => {
  it('treats a consent withdrawn after the date as in force on it', () => {
    const withdrawnNextDay = buildConsent({ status: 'withdrawn', withdrawnOn: '2026-03-02' });
    expect(withdrawnBy(withdrawnNextDay, '2026-03-01')).toBe(false);
    expect(consentInForceOn(withdrawnNextDay, '2026-03-01')).toBe(true);
    expect(withdrawnBy(withdrawnNextDay, '2026-03-02')).toBe(true);
  });

  it('treats a withdrawn consent with no withdrawal date as withdrawn', () => {
    expect(withdrawnBy(buildConsent({ status: 'withdrawn', withdrawnOn: null }), '2026-03-01')).toBe(true);
  });
});

describe('isPartyOn', () => {
  it('is a Party from the day of entry into force', () => {
    expect(isPartyOn('2026-03-01', '2026-03-01')).toBe(true);
    expect(isPartyOn('2026-03-02', '2026-03-01')).toBe(false);
    expect(isPartyOn(null, '2026-03-01')).toBe(false);
  });
});
