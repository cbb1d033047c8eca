import { ValidationFailedError } from '@hgtrace/common';
import { createValidationPipe, MAX_BODY_DEPTH, pathNestedDeeperThan, unstorableTextPaths } from './validation.js';

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: [value] };
  return value;
}

describe('body depth', () => {
  it('finds the first path that nests too deep, at any depth', () => {
    expect(pathNestedDeeperThan({ items: [{ hsCode: '280540' }] }, 2)).toBeNull();
    expect(pathNestedDeeperThan({ items: [{ x: { y: 1 } }] }, 2)).toBe('items[0].x');
    expect(pathNestedDeeperThan(nested(100_000), MAX_BODY_DEPTH)).toMatch(/^a\[0\]\.a\[0\]/);
  });

  it('refuses such a body before it is transformed, with the path', async () => {
    const pipe = createValidationPipe();
    const refused = pipe.transform({ extra: nested(50_000) }, { type: 'body', metatype: Object });
    await expect(refused).rejects.toBeInstanceOf(ValidationFailedError);
    await expect(refused).rejects.toMatchObject({ details: [{ path: expect.stringMatching(/^extra\.a\[0\]/), message: `is nested deeper than ${MAX_BODY_DEPTH} levels` }] });
    await expect(pipe.transform({ a: { b: [1] } }, { type: 'body', metatype: Object })).resolves.toEqual({ a: { b: [1] } });
  });
});

describe('text PostgreSQL cannot store', () => {
  it('finds every string with a NUL character or half a surrogate pair, by its path, and leaves pairs alone', () => {
    const body = { name: 'Nul\u0000SA', aliases: ['ok', 'x\ud800'], contact: { note: '\udc00', emoji: 'Andína 😀' }, kg: 1 };
    expect(unstorableTextPaths(body)).toEqual(['aliases[1]', 'contact.note', 'name']);
    expect(unstorableTextPaths({ name: 'Importadora Andína 😀', aliases: [] })).toEqual([]);
  });

  it('walks any depth without recursion', () => {
    const depth = 100_000;
    const body = JSON.parse(`${'{"a":'.repeat(depth)}"\\u0000"${'}'.repeat(depth)}`);
    expect(unstorableTextPaths(body)).toEqual([`${'a.'.repeat(depth - 1)}a`]);
  });
});
