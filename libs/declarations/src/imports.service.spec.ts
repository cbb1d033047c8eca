import { CSV_COLUMNS, toDeclaration } from './imports.service.js';

describe('toDeclaration', () => {
  let seed = 777;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)];
  const cell = () => pick(['', 'MX', 'export', 'A-1', '12', '-0', '0', '3.5', '1e3', ' 7 ', 'MSKU1;MSKU2, X3', 'Zé "q"', '2026-01-02', '0012.50']);
  const row = () => {
    const r: Record<string, string> = {};
    // Now and then a column is missing, as csv-parse leaves it with relax_column_count.
    for (const column of CSV_COLUMNS) if (random() > 0.1) r[column] = cell();
    return r;
  };

  it('gives the body the JSON round trip gave', () => {
    for (let i = 0; i < 2000; i += 1) {
      const rows = Array.from({ length: 1 + Math.floor(random() * 3) }, row);
      const body = toDeclaration(rows);
      expect(body).toStrictEqual(JSON.parse(JSON.stringify(body)));
      expect(JSON.stringify(body)).toBe(JSON.stringify(JSON.parse(JSON.stringify(body))));
    }
  });
});
