import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';

/** HS codes arrive as "2805.40", "2805 40 00" or "280540"; dots and spaces are removed. */
export const normalizeHsCode = (value: unknown): unknown => (typeof value === 'string' ? value.replace(/[.\s]/g, '') : value);

/** A full HS code: 6 to 10 digits. */
export const HS_CODE = /^\d{6,10}$/;
/** An HS code or a heading used as a prefix (licences, consents): 4 digits, or 6 to 10. */
export const HS_PREFIX = /^(\d{4}|\d{6,10})$/;

export const ToHsCode = () => Transform(({ value }) => (Array.isArray(value) ? value.map(normalizeHsCode) : normalizeHsCode(value)));
export const IsHsPrefix = (each = true) =>
  Matches(HS_PREFIX, { each, message: each ? 'each value must be an HS heading (4 digits) or an HS code of 6 to 10 digits' : 'must be an HS heading (4 digits) or an HS code of 6 to 10 digits' });
export const IsHsCode = () => Matches(HS_CODE, { message: 'must be an HS code of 6 to 10 digits' });

/** Whether `hsCode` is covered by one of `prefixes`. */
export function coveredBy(hsCode: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => hsCode.startsWith(p));
}
