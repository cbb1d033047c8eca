/** The five roles of DESIGN.md. */
export const ROLES = ['admin', 'focal_point', 'customs_officer', 'analyst', 'system'] as const;
export type Role = (typeof ROLES)[number];

/** `*` stands for every country; only admins and analysts may hold it. */
export const ALL_COUNTRIES = '*';

/**
 * Who is acting, and on whose request. Controllers build it from the authenticated request and pass
 * it to every service method that reads scoped data or writes, so scope and audit never depend on
 * ambient state.
 */
export interface Actor {
  userId: string | null;
  email: string;
  role: Role | 'service';
  countries: string[];
  requestId: string | null;
  ip: string | null;
}

/** The actor for work the system does on its own (worker jobs, scheduled sweeps, CLI maintenance). */
export function systemActor(label: string, requestId: string | null = null): Actor {
  return { userId: null, email: label, role: 'service', countries: [ALL_COUNTRIES], requestId, ip: null };
}
