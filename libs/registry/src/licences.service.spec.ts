import { licenceStatusOn, type LicenceStatusChange } from './licences.service.js';

describe('licenceStatusOn', () => {
  const licence = { validFrom: '2026-01-01', validTo: '2026-06-30' };
  const suspendedInMarch: LicenceStatusChange[] = [{ from: 'active', to: 'suspended', reason: 'inspection', actor: 'fp', at: '2026-03-10T09:00:00.000Z' }];

  it('is active and valid on the first and the last day of validity', () => {
    expect(licenceStatusOn({ ...licence, stored: 'active', history: [] }, '2026-01-01')).toEqual({ date: '2026-01-01', status: 'active', valid: true });
    expect(licenceStatusOn({ ...licence, stored: 'active', history: [] }, '2026-06-30')).toEqual({ date: '2026-06-30', status: 'active', valid: true });
  });

  it('is expired the day after validTo, and not valid the day before validFrom', () => {
    expect(licenceStatusOn({ ...licence, stored: 'active', history: [] }, '2026-07-01').status).toBe('expired');
    expect(licenceStatusOn({ ...licence, stored: 'active', history: [] }, '2025-12-31')).toEqual({ date: '2025-12-31', status: 'active', valid: false });
  });

  it('reads the history: active before a suspension, suspended from its day on', () => {
    expect(licenceStatusOn({ ...licence, stored: 'suspended', history: suspendedInMarch }, '2026-03-09').status).toBe('active');
    expect(licenceStatusOn({ ...licence, stored: 'suspended', history: suspendedInMarch }, '2026-03-10')).toEqual({ date: '2026-03-10', status: 'suspended', valid: false });
  });

  it('keeps revoked and suspended ahead of expired', () => {
    expect(licenceStatusOn({ ...licence, stored: 'revoked', history: [] }, '2026-09-01').status).toBe('revoked');
  });
});
