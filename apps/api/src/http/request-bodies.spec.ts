import { prototypeKeyPaths } from './request-bodies.js';

describe('prototype keys', () => {
  it('finds every __proto__ and constructor key by its path, and nothing else', () => {
    const body = JSON.parse('{"__proto__": {"constructor": 1}, "a": [{"b": {"constructor": {"prototype": {}}}}, "__proto__"], "__proto__x": 1, "name": "constructor"}');
    expect(prototypeKeyPaths(body)).toEqual(['__proto__', '__proto__.constructor', 'a[0].b.constructor']);
    expect(prototypeKeyPaths(JSON.parse('[{"\\u005f_proto__": 1}]'))).toEqual(['[0].__proto__']);
    expect(prototypeKeyPaths({ items: [{ hsCode: '280540' }] })).toEqual([]);
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it('walks any depth without recursion', () => {
    const depth = 100_000;
    const body = JSON.parse(`${'{"a":'.repeat(depth)}{"__proto__":1}${'}'.repeat(depth)}`);
    const [path] = prototypeKeyPaths(body);
    expect(path).toBe(`${'a.'.repeat(depth)}__proto__`);
  });
});
