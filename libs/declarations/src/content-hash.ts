import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted and undefined dropped, so equal content always serialises alike.
 * Stored content hashes depend on this exact text: it must never change. Written as plain loops
 * (every declaration filed is hashed; Object.entries, filter, sort and map per object cost several
 * times more), it yields the same text as the definition it replaced, `canonicalJsonReference` in
 * the spec, which checks that on generated values.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i += 1) {
      if (i > 0) out += ',';
      // As Array.prototype.join would: an element that has no JSON text (undefined) leaves an empty slot.
      out += canonicalJson(value[i]) ?? '';
    }
    return `${out}]`;
  }
  if (value && typeof value === 'object') {
    let out = '{';
    let first = true;
    for (const [key, prefix] of keyOrder(Object.keys(value))) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || v === null) continue;
      if (!first) out += ',';
      first = false;
      out += prefix + canonicalJson(v);
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}

/**
 * The keys sorted, each with its JSON text and colon. Object.keys lists own enumerable string keys,
 * as Object.entries does; sort() with no comparator orders them by UTF-16 code units, as comparing
 * strings with < does. Bodies come in a few shapes (the keys in the order they were written), so
 * the order is kept per shape, for a bounded number of shapes.
 */
function keyOrder(keys: string[]): [string, string][] {
  // JSON of the list: unambiguous whatever the keys hold (a join is not: [''] and [] would be one shape).
  const shape = JSON.stringify(keys);
  let order = KEY_ORDERS.get(shape);
  if (order === undefined) {
    order = [...keys].sort().map((key): [string, string] => [key, `${JSON.stringify(key)}:`]);
    if (KEY_ORDERS.size < MAX_SHAPES) KEY_ORDERS.set(shape, order);
  }
  return order;
}

const KEY_ORDERS = new Map<string, [string, string][]>();
const MAX_SHAPES = 1000;

/** The fingerprint that decides whether a declaration sent again is the same one (200) or a different one (409). */
export function contentHash(body: object): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
