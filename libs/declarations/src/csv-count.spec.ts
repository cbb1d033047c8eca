import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { countCsvRecords } from './csv-count.js';

/** What ImportsService counted with csv-parse before: records after the header plus records skipped. */
async function csvParseCount(chunks: Buffer[]): Promise<{ records: number; header: string[] } | 'error'> {
  let records = 0;
  let header: string[] = [];
  const parser = Readable.from(chunks).pipe(
    parse({ columns: (h: string[]) => (header = h), bom: true, skip_empty_lines: true, relax_column_count: true, skip_records_with_error: true }),
  );
  parser.on('skip', () => (records += 1));
  try {
    for await (const _ of parser) records += 1;
  } catch {
    return 'error';
  }
  return { records, header };
}

async function* inChunks(chunks: Buffer[]): AsyncGenerator<Buffer> {
  yield* chunks;
}

describe('countCsvRecords', () => {
  let seed = 4242;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(values: T[]): T => values[Math.floor(random() * values.length)];
  const field = (irregular: boolean) =>
    pick(['', 'MX', 'Zé', 'a b', ' padded ', '"quoted"', '"with, comma"', '"with ""escaped"" quote"', '"multi\nline"', '"multi\r\nline"', '""', '€uro', ...(irregular ? ['x"y', '"open', '"a"b', ' "a"', '\r', '\n'] : [])]);
  const file = (irregular: boolean) => {
    const eol = random() < 0.5 ? '\n' : '\r\n';
    const lines = Array.from({ length: Math.floor(random() * 8) }, () => (random() < 0.15 ? '' : Array.from({ length: 1 + Math.floor(random() * 4) }, () => field(irregular)).join(',')));
    let text = (random() < 0.2 ? '\ufeff' : '') + lines.join(eol) + (random() < 0.5 ? eol : '');
    if (irregular && random() < 0.3) text = text.replace('\n', random() < 0.5 ? '\r' : '\r\n');
    const bytes = Buffer.from(text);
    // Split anywhere, also inside a character, a CRLF or the byte order mark.
    const cuts = [...new Set(Array.from({ length: Math.floor(random() * 4) }, () => Math.floor(random() * bytes.length)))].sort((a, b) => a - b);
    return [0, ...cuts].map((from, i, all) => bytes.subarray(from, all[i + 1] ?? bytes.length)).filter((c) => c.length > 0);
  };

  it('counts regular files as csv-parse does', async () => {
    let counted = 0;
    for (let n = 0; n < 3000; n += 1) {
      const chunks = file(false);
      const fast = await countCsvRecords(inChunks(chunks));
      if (fast === undefined) continue;
      counted += 1;
      expect(fast).toEqual(await csvParseCount(chunks));
    }
    // Regular files with consistent line ends are counted without csv-parse, nearly all of them.
    expect(counted).toBeGreaterThan(2500);
  });

  it('counts as csv-parse does, or leaves irregular files to it', async () => {
    for (let n = 0; n < 3000; n += 1) {
      const chunks = file(true);
      const fast = await countCsvRecords(inChunks(chunks));
      if (fast !== undefined) expect(fast).toEqual(await csvParseCount(chunks));
    }
  });

  it('leaves a quote inside a field, an unclosed quote and mixed line ends to csv-parse', async () => {
    for (const text of ['a,b\nx"y,1\n', 'a,b\n"open,1\n', 'a,b\n"a"b,1\n', 'a,b\r\nc,d\ne,f\n', 'a,b\nc,d\r\n', 'a,b\rc,d\r']) {
      expect(await countCsvRecords(inChunks([Buffer.from(text)]))).toBeUndefined();
    }
  });
});
