import { type Actor, ALL_COUNTRIES, ForbiddenError, NotFoundError, type Role } from '@hgtrace/common';

/**
 * Who may do what: the one table of permissions, by role. Every controller handler names the
 * permission it needs (@Allow) and the global AuthGuard checks it; a handler without one is refused.
 * Country scope is the second half of the policy: see canSee, ensureVisible and ensureCanActIn.
 */
export const PERMISSIONS = {
  'users.manage': ['admin'],
  'audit.read': ['admin', 'analyst'],
  'audit.verify': ['admin', 'analyst'],
  'reference.read': ['admin', 'focal_point', 'customs_officer', 'analyst', 'system'],
  'registry.read': ['focal_point', 'customs_officer', 'analyst'],
  'registry.write': ['focal_point'],
  'consents.read': ['focal_point', 'customs_officer', 'analyst'],
  'consents.write': ['focal_point'],
  'declarations.read': ['customs_officer', 'system', 'analyst'],
  'declarations.write': ['customs_officer', 'system'],
  'declarations.verify': ['customs_officer', 'system', 'analyst'],
  'crosscheck.run': ['analyst', 'admin'],
  'crosscheck.read': ['analyst', 'admin', 'customs_officer', 'focal_point'],
  'mirror.read': ['analyst', 'focal_point'],
  'flags.read': ['analyst', 'customs_officer', 'focal_point'],
  'flags.write': ['analyst'],
  'flags.comment': ['analyst', 'customs_officer', 'focal_point'],
  'reports.read': ['admin', 'analyst', 'focal_point'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function isAllowed(role: Actor['role'], permission: Permission): boolean {
  return role !== 'service' && (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

export function hasAllCountries(actor: Pick<Actor, 'countries'>): boolean {
  return actor.countries.includes(ALL_COUNTRIES);
}

/** The countries an actor's queries are limited to, or null for all. */
export function countryScope(actor: Pick<Actor, 'countries'>): string[] | null {
  return hasAllCountries(actor) ? null : actor.countries;
}

/** Whether a record that involves `countries` is visible to the actor (one shared country suffices). */
export function canSee(actor: Pick<Actor, 'countries'>, countries: readonly string[]): boolean {
  return hasAllCountries(actor) || countries.some((c) => actor.countries.includes(c));
}

/** A record outside the actor's countries does not exist for them: 404, never 403. */
export function ensureVisible(actor: Pick<Actor, 'countries'>, countries: readonly string[], entity: string, id: string): void {
  if (!canSee(actor, countries)) throw new NotFoundError(entity, id);
}

/** Creating or changing a record on behalf of `country` requires that country in the actor's scope. */
export function ensureCanActIn(actor: Pick<Actor, 'countries'>, country: string, what = 'act'): void {
  if (!hasAllCountries(actor) && !actor.countries.includes(country)) {
    throw new ForbiddenError(`You may not ${what} for ${country}: your account is limited to ${actor.countries.join(', ')}`);
  }
}
