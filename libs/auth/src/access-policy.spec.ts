import { ForbiddenError, NotFoundError } from '@hgtrace/common';
import { canSee, countryScope, ensureCanActIn, ensureVisible, isAllowed, PERMISSIONS } from './access-policy.js';

describe('access policy', () => {
  const mx = { countries: ['MX'] };
  const all = { countries: ['*'] };

  it('gives each permission only to the roles in the table', () => {
    expect(isAllowed('admin', 'users.manage')).toBe(true);
    expect(isAllowed('analyst', 'users.manage')).toBe(false);
    expect(isAllowed('focal_point', 'registry.write')).toBe(true);
    expect(isAllowed('customs_officer', 'registry.write')).toBe(false);
    expect(isAllowed('service', 'flags.read')).toBe(false);
    for (const roles of Object.values(PERMISSIONS)) expect(roles.length).toBeGreaterThan(0);
  });

  it('limits records to the countries in scope, a shared country being enough', () => {
    expect(canSee(mx, ['MX'])).toBe(true);
    expect(canSee(mx, ['BO', 'MX'])).toBe(true);
    expect(canSee(mx, ['BO'])).toBe(false);
    expect(canSee(all, ['BO'])).toBe(true);
    expect(countryScope(mx)).toEqual(['MX']);
    expect(countryScope(all)).toBeNull();
  });

  it('answers 404 for records out of scope and 403 for acting in another country', () => {
    expect(() => ensureVisible(mx, ['BO'], 'Trader', 'x')).toThrow(NotFoundError);
    expect(() => ensureVisible(mx, ['MX'], 'Trader', 'x')).not.toThrow();
    expect(() => ensureCanActIn(mx, 'BO')).toThrow(ForbiddenError);
    expect(() => ensureCanActIn(all, 'BO')).not.toThrow();
  });
});
