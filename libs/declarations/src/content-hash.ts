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
    // Object.keys lists own enumerable string keys, as Object.entries does; sort() with no comparator
    // orders them by UTF-16 code units, as the comparison of strings with < does.
    const keys = Object.keys(value).sort();
    let out = '{';
    let first = true;
    for (const key of keys) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || v === null) continue;
      if (!first) out += ',';
      first = false;
      out += `${JSON.stringify(key)}:${canonicalJson(v)}`;
    }
    return `${out}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint that decides whether a declaration sent again is the same one (200) or a different one (409). */
export function contentHash(body: object): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
