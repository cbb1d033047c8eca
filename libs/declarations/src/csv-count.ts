const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the closing one, or the first of an escaped pair. */
  QuoteInQuoted,
}

export interface CsvCount {
  /** The records after the header, as csv-parse counts them (empty lines skipped). */
  records: number;
  /** The header's fields, as they are written. */
  header: string[];
}

/**
 * Counts the records of a CSV file chunk by chunk, as csv-parse (bom, skip_empty_lines,
 * relax_column_count) would, in one byte scan and without building any record: the count shown as
 * rowsTotal costs a pass over the file, and csv-parse spends as long on it as on the real parse.
 * Only well-formed files are counted: a quote inside an unquoted field, anything but a comma or a
 * line end after a closing quote, an unclosed quote, line ends other than all LF or all CRLF, or a
 * UTF-16 byte order mark, and the answer is undefined: the caller then asks csv-parse, which decides
 * what such a file means. csv-count.spec.ts checks the counts against csv-parse on generated files.
 */
export async function countCsvRecords(chunks: AsyncIterable<Buffer>): Promise<CsvCount | undefined> {
  let state = State.FieldStart;
  let recordEmpty = true;
  let crlf: boolean | undefined;
  let pendingCr = false;
  let nonEmpty = 0;
  let first = true;
  /** The bytes of the header record, while it is being read (null once read). */
  let headerParts: Buffer[] | null = [];
  let headerStarted = false;
  let header: Buffer | null = null;

  for await (const chunk of atLeast(3, chunks)) {
    let start = 0;
    if (first) {
      first = false;
      if (chunk[0] === 0xff && chunk[1] === 0xfe) return undefined;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3;
    }
    /** Where the header record starts in this chunk, while it is being read. */
    let headerFrom = start;
    for (let i = start; i < chunk.length; i += 1) {
      const b = chunk[i];
      if (pendingCr) {
        if (b !== LF) return undefined;
        pendingCr = false;
        // The record ended at the CR before.
        continue;
      }
      let lineEnd = false;
      switch (state) {
        case State.Quoted:
          if (b === QUOTE) state = State.QuoteInQuoted;
          continue;
        case State.QuoteInQuoted:
          if (b === QUOTE) state = State.Quoted;
          else if (b === COMMA) state = State.FieldStart;
          else if (b === LF || b === CR) lineEnd = true;
          else return undefined;
          break;
        case State.FieldStart:
          if (recordEmpty && headerParts && !headerStarted && b !== LF && b !== CR) {
            headerStarted = true;
            headerFrom = i;
          }
          if (b === QUOTE) {
            state = State.Quoted;
            recordEmpty = false;
          } else if (b === COMMA) recordEmpty = false;
          else if (b === LF || b === CR) lineEnd = true;
          else {
            state = State.Unquoted;
            recordEmpty = false;
          }
          break;
        case State.Unquoted:
          if (b === QUOTE) return undefined;
          if (b === COMMA) state = State.FieldStart;
          else if (b === LF || b === CR) lineEnd = true;
          break;
      }
      if (!lineEnd) continue;
      // The first line end decides LF or CRLF for the file; the other kind is not counted here.
      const isCr = b === CR;
      if (crlf === undefined) crlf = isCr;
      else if (crlf !== isCr) return undefined;
      if (isCr) pendingCr = true;
      if (!recordEmpty) {
        nonEmpty += 1;
        if (headerParts) {
          headerParts.push(chunk.subarray(headerFrom, i));
          header = Buffer.concat(headerParts);
          headerParts = null;
        }
      }
      recordEmpty = true;
      state = State.FieldStart;
    }
    if (headerParts && headerStarted) headerParts.push(chunk.subarray(headerFrom));
  }
  if (pendingCr || state === State.Quoted) return undefined;
  if (!recordEmpty) {
    nonEmpty += 1;
    if (headerParts) header = Buffer.concat(headerParts);
  }
  return { records: Math.max(nonEmpty - 1, 0), header: header ? headerFields(header.toString('utf8')) : [] };
}

/** The fields of a well-formed header record (its quotes already checked by the scan). */
function headerFields(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i += 1;
      for (;;) {
        const next = line.indexOf('"', i);
        value += line.slice(i, next);
        if (line[next + 1] === '"') {
          value += '"';
          i = next + 2;
        } else {
          i = next + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const next = line.indexOf(',', i);
      fields.push(line.slice(i, next === -1 ? line.length : next));
      i = next === -1 ? line.length : next;
    }
    if (i >= line.length) return fields;
    i += 1; // the comma
    if (i === line.length) {
      fields.push('');
      return fields;
    }
  }
}

/** The chunks, the first one joined with the next ones until it has `bytes` bytes (for the byte order mark). */
async function* atLeast(bytes: number, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let head: Buffer | null = Buffer.alloc(0);
  for await (const chunk of chunks) {
    if (head === null) {
      yield chunk;
      continue;
    }
    head = Buffer.concat([head, chunk]);
    if (head.length >= bytes) {
      yield head;
      head = null;
    }
  }
  if (head !== null && head.length > 0) yield head;
}
