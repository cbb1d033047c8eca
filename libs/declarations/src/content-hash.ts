import { createHash } from 'node:crypto';

/** JSON with object keys sorted and undefined dropped, so equal content always serialises alike. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint that decides whether a declaration sent again is the same one (200) or a different one (409). */
export function contentHash(body: object): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
