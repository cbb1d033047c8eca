import type { ValueTransformer } from 'typeorm';

/**
 * Masses and values are `numeric` in PostgreSQL and JSON numbers in the API. Sums and comparisons
 * happen in SQL on numeric; in TypeScript they are only carried, never added up in floating point.
 */
export const numericColumn: ValueTransformer = {
  to: (value: number | null | undefined) => (value === null || value === undefined ? value : String(value)),
  from: (value: string | null) => (value === null ? null : Number(value)),
};

export function toNumber(value: string | number | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}
