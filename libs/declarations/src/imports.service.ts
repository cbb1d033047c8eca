import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { ensureCanActIn, ensureVisible } from '@hgtrace/auth';
import { type Actor, DomainError, type ErrorDetail, NotFoundError, validateInput } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { JobName, jobId, OutboxService } from '@hgtrace/queue';
import { countCsvRecords } from './csv-count.js';
import { DeclarationDto } from './declaration.dto.js';
import { fastValidateDeclaration } from './declaration.fast-validation.js';
import { DeclarationsService } from './declarations.service.js';

/** The CSV columns, one row per item; rows of one declaration follow each other. Documented in the README. */
export const CSV_COLUMNS = [
  'country', 'flow', 'number', 'date', 'trader_national_id', 'trader_name', 'counterparty_name', 'counterparty_country', 'counterparty_address',
  'partner_country', 'origin_country', 'transport_document', 'containers', 'licence_number', 'consent_reference', 'transport_mode',
  'hs_code', 'description', 'net_mass_kg', 'value_usd',
] as const;
const REQUIRED_COLUMNS = ['country', 'flow', 'number', 'date', 'trader_national_id', 'trader_name', 'counterparty_name', 'counterparty_country', 'partner_country', 'origin_country', 'hs_code', 'net_mass_kg', 'value_usd'];

/** Where a declaration field comes from in the CSV, to report errors by column. */
const COLUMN_OF: Record<string, string> = {
  'trader.nationalId': 'trader_national_id',
  'trader.name': 'trader_name',
  'counterparty.name': 'counterparty_name',
  'counterparty.country': 'counterparty_country',
  'counterparty.address': 'counterparty_address',
  partnerCountry: 'partner_country',
  originCountry: 'origin_country',
  transportDocument: 'transport_document',
  licenceNumber: 'licence_number',
  consentReference: 'consent_reference',
  transportMode: 'transport_mode',
  hsCode: 'hs_code',
  netMassKg: 'net_mass_kg',
  valueUsd: 'value_usd',
};

const CHUNK_BYTES = 1024 * 1024;
/**
 * Declarations filed per transaction, as many as a batch of the API. Each transaction ends holding
 * the audit chain's lock while it writes its events (about 40 ms for 1,000), which concurrent
 * imports wait for; but every transaction also pays a fixed dozen statements and a commit, and 250
 * cost about 10 % more database time per declaration than 1,000 (5,000 rows filed alone: 1.4 to
 * 2.1 s of PostgreSQL CPU against 1.2 to 1.4 s), for no better throughput with 20 imports at once.
 */
const DECLARATIONS_PER_TRANSACTION = 1000;
const MAX_ERRORS_KEPT = 1000;

export interface ImportView {
  id: string;
  status: 'uploading' | 'queued' | 'processing' | 'completed' | 'failed';
  fileName: string | null;
  sizeBytes: number;
  rowsTotal: number | null;
  rowsDone: number;
  created: number;
  duplicates: number;
  rejected: number;
  errors: { row: number; path: string; message: string }[];
  failure: string | null;
  createdAt: string;
  finishedAt: string | null;
}

type Row = Record<string, string>;
interface Candidate {
  rows: { line: number; row: Row }[];
  /** A line csv-parse could not read. */
  unreadable?: string;
}

/**
 * CSV imports. The upload is streamed into PostgreSQL in chunks (never held whole in memory) and a
 * worker job is queued with it through the outbox; the worker streams the chunks through csv-parse,
 * files declarations in transactions of up to 1,000 with their progress, so that a worker that dies
 * resumes where the last committed transaction left off.
 */
@Injectable()
export class ImportsService {
  private readonly logger = new Logger(ImportsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly declarations: DeclarationsService,
    private readonly outbox: OutboxService,
    private readonly audit: AuditService,
    private readonly env: Env,
  ) {}

  /** Stores an upload; throws PAYLOAD_TOO_LARGE (and keeps nothing) past UPLOAD_LIMIT_BYTES. */
  async receive(actor: Actor, fileName: string | null, file: AsyncIterable<Buffer>): Promise<{ id: string }> {
    const [{ id }] = await this.dataSource.query(`INSERT INTO imports (file_name, actor) VALUES ($1, $2) RETURNING id`, [fileName, JSON.stringify(actor)]);
    try {
      let size = 0;
      let seq = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = async () => {
        if (pendingBytes === 0) return;
        seq += 1;
        await this.dataSource.query(`INSERT INTO import_chunks (import_id, seq, data) VALUES ($1, $2, $3)`, [id, seq, Buffer.concat(pending)]);
        pending = [];
        pendingBytes = 0;
      };
      for await (const chunk of file) {
        size += chunk.length;
        if (size > this.env.UPLOAD_LIMIT_BYTES) throw new DomainError('PAYLOAD_TOO_LARGE', `The file is larger than the ${this.env.UPLOAD_LIMIT_BYTES} bytes allowed`);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= CHUNK_BYTES) await flush();
      }
      await flush();
      if (size === 0) throw new DomainError('VALIDATION_FAILED', 'The file is empty', [{ path: 'file', message: 'is empty' }]);
      await this.dataSource.transaction(async (manager) => {
        await manager.query(`UPDATE imports SET status = 'queued', size_bytes = $2, updated_at = now() WHERE id = $1`, [id, size]);
        await this.outbox.enqueue(manager, { name: JobName.ImportDeclarations, id: jobId('import', id), payload: { importId: id } });
        await this.audit.record(manager, actor, { action: 'import.upload', entity: 'import', entityId: id, countries: actor.countries.filter((c) => c !== '*'), after: { fileName, sizeBytes: size } });
      });
      return { id };
    } catch (error) {
      await this.dataSource.query(`DELETE FROM imports WHERE id = $1`, [id]);
      throw error;
    }
  }

  async get(actor: Actor, id: string): Promise<ImportView> {
    const [row] = await this.dataSource.query(`SELECT * FROM imports WHERE id = $1`, [id]);
    if (!row) throw new NotFoundError('Import', id);
    const owner = row.actor as Actor;
    if (owner.userId !== actor.userId) ensureVisible(actor, owner.countries, 'Import', id);
    return {
      id: row.id,
      status: row.status,
      fileName: row.file_name,
      sizeBytes: Number(row.size_bytes),
      rowsTotal: row.rows_total,
      rowsDone: row.rows_done,
      created: row.created,
      duplicates: row.duplicates,
      rejected: row.rejected,
      errors: row.errors,
      failure: row.failure,
      createdAt: (row.created_at as Date).toISOString(),
      finishedAt: row.finished_at ? (row.finished_at as Date).toISOString() : null,
    };
  }

  /** The worker's side: processes an import, resuming after the rows already done. Idempotent. */
  async process(importId: string): Promise<void> {
    const [job] = await this.dataSource.query(`SELECT status, actor, rows_done FROM imports WHERE id = $1`, [importId]);
    if (!job || job.status === 'completed' || job.status === 'failed' || job.status === 'uploading') return;
    const actor = job.actor as Actor;
    const resumeAfter: number = job.rows_done;
    try {
      const total = await this.countRows(importId);
      await this.dataSource.query(`UPDATE imports SET status = 'processing', rows_total = $2, updated_at = now() WHERE id = $1`, [importId, total.rows]);
      if (total.missingColumns.length) {
        throw new DomainError('VALIDATION_FAILED', `The file lacks the columns ${total.missingColumns.join(', ')}; the first line must name the columns (see the README)`);
      }
      let batch: Candidate[] = [];
      let current: Candidate | null = null;
      let currentKey = '';
      for await (const { line, row, unreadable } of this.records(importId)) {
        const key = unreadable ? `unreadable|${line}` : `${row.country}|${row.number}`;
        if (current && key === currentKey) {
          current.rows.push({ line, row });
          continue;
        }
        if (current) batch.push(current);
        if (batch.length >= DECLARATIONS_PER_TRANSACTION) {
          await this.fileBatch(importId, actor, batch, resumeAfter);
          batch = [];
        }
        current = { rows: [{ line, row }], unreadable };
        currentKey = key;
      }
      if (current) batch.push(current);
      await this.fileBatch(importId, actor, batch, resumeAfter);
      await this.dataSource.query(`UPDATE imports SET status = 'completed', rows_done = coalesce(rows_total, rows_done), finished_at = now(), updated_at = now() WHERE id = $1`, [importId]);
      await this.dataSource.query(`DELETE FROM import_chunks WHERE import_id = $1`, [importId]);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      await this.dataSource.query(`UPDATE imports SET status = 'failed', failure = $2, finished_at = now(), updated_at = now() WHERE id = $1`, [importId, error.message]);
    }
  }

  /** Validates each declaration of the batch, files the valid ones and records the progress, in one transaction. */
  private async fileBatch(importId: string, actor: Actor, batch: Candidate[], resumeAfter: number): Promise<void> {
    const todo = batch.filter((c) => c.rows[c.rows.length - 1].line > resumeAfter);
    if (todo.length === 0) return;
    const errors: ImportView['errors'] = [];
    const valid: { candidate: Candidate; dto: DeclarationDto }[] = [];
    for (const candidate of todo) {
      if (candidate.unreadable) {
        errors.push({ row: candidate.rows[0].line, path: '', message: candidate.unreadable });
        continue;
      }
      try {
        const body = toDeclaration(candidate.rows.map((r) => r.row));
        const dto = fastValidateDeclaration(body) ?? (await validateInput(DeclarationDto, body));
        ensureCanActIn(actor, dto.country, 'file declarations');
        this.declarations.validateSemantics(dto);
        valid.push({ candidate, dto });
      } catch (error) {
        errors.push(...rowErrors(candidate, error));
      }
    }
    await this.dataSource.transaction(async (manager) => {
      let created = 0;
      let duplicates = 0;
      const outcomes = await this.declarations.storeMany(manager, actor, valid.map((v) => v.dto), 'csv');
      outcomes.forEach((outcome, i) => {
        if ('error' in outcome) errors.push(...rowErrors(valid[i].candidate, outcome.error));
        else if (outcome.created) created += 1;
        else duplicates += 1;
      });
      const rejected = todo.length - created - duplicates;
      const lastLine = todo[todo.length - 1].rows.at(-1)!.line;
      await manager.query(
        `UPDATE imports SET rows_done = $2, created = created + $3, duplicates = duplicates + $4, rejected = rejected + $5,
                errors = CASE WHEN jsonb_array_length(errors) >= $7 THEN errors ELSE errors || $6::jsonb END, updated_at = now()
          WHERE id = $1`,
        [importId, lastLine, created, duplicates, rejected, JSON.stringify(errors.slice(0, MAX_ERRORS_KEPT)), MAX_ERRORS_KEPT],
      );
    });
  }

  /** The file, chunk by chunk, as a stream: one chunk in memory at a time. */
  private chunks(importId: string): Readable {
    const dataSource = this.dataSource;
    return Readable.from(
      (async function* () {
        for (let seq = 1; ; seq += 1) {
          const [chunk] = await dataSource.query(`SELECT data FROM import_chunks WHERE import_id = $1 AND seq = $2`, [importId, seq]);
          if (!chunk) return;
          yield chunk.data as Buffer;
        }
      })(),
    );
  }

  /** The records with their line numbers; a record csv-parse cannot read comes as `unreadable`, and the rest go on. */
  private async *records(importId: string): AsyncGenerator<{ line: number; row: Row; unreadable?: string }> {
    const skipped: { line: number; row: Row; unreadable: string }[] = [];
    const parser = this.chunks(importId).pipe(
      parse({
        columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
        bom: true,
        trim: true,
        skip_empty_lines: true,
        relax_column_count: true,
        skip_records_with_error: true,
        info: true,
      }),
    );
    parser.on('skip', (error: Error & { lines?: number }) => skipped.push({ line: error.lines ?? 0, row: {}, unreadable: `unreadable line: ${error.message}` }));
    for await (const { record, info } of parser as AsyncIterable<{ record: Row; info: { lines: number } }>) {
      while (skipped.length) yield skipped.shift()!;
      yield { line: info.lines, row: record };
    }
    while (skipped.length) yield skipped.shift()!;
  }

  private async countRows(importId: string): Promise<{ rows: number; missingColumns: string[] }> {
    // A well-formed file is counted by a byte scan; csv-parse decides for the others.
    const fast = await countCsvRecords(this.chunks(importId));
    if (fast) {
      const header = fast.header.map((c) => c.trim().toLowerCase());
      return { rows: fast.records, missingColumns: REQUIRED_COLUMNS.filter((c) => !header.includes(c)) };
    }
    let rows = 0;
    let header: string[] = [];
    const parser = this.chunks(importId).pipe(
      parse({ columns: (h: string[]) => (header = h.map((c) => c.trim().toLowerCase())), bom: true, skip_empty_lines: true, relax_column_count: true, skip_records_with_error: true }),
    );
    parser.on('skip', () => (rows += 1));
    try {
      for await (const _ of parser) rows += 1;
    } catch (error) {
      throw new DomainError('VALIDATION_FAILED', `The file is not a CSV hgtrace can read: ${(error as Error).message}`);
    }
    return { rows, missingColumns: REQUIRED_COLUMNS.filter((c) => !header.includes(c)) };
  }
}

function numberOrText(value: string | undefined): number | string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(value)) return value;
  // As JSON would carry it: -0 becomes 0.
  const n = Number(value);
  return n === 0 ? 0 : n;
}

function blank(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The object without its undefined members, as JSON.parse(JSON.stringify()) would give it, without serialising. */
function defined<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}

/** The rows of one declaration as the JSON body of API.md (absent cells are absent members, as in a parsed JSON body). */
export function toDeclaration(rows: Row[]): Record<string, unknown> {
  const first = rows[0];
  return defined({
    country: first.country,
    flow: first.flow,
    number: first.number,
    date: first.date,
    trader: defined({ nationalId: first.trader_national_id, name: first.trader_name }),
    counterparty: defined({ name: first.counterparty_name, country: first.counterparty_country, address: blank(first.counterparty_address) }),
    partnerCountry: first.partner_country,
    originCountry: first.origin_country,
    transportDocument: blank(first.transport_document),
    containers: blank(first.containers)?.split(/[;,\s]+/).filter(Boolean),
    licenceNumber: blank(first.licence_number),
    consentReference: blank(first.consent_reference),
    transportMode: blank(first.transport_mode),
    items: rows.map((r) => defined({ hsCode: r.hs_code, description: blank(r.description), netMassKg: numberOrText(r.net_mass_kg), valueUsd: numberOrText(r.value_usd) })),
  });
}

/** A declaration's errors by CSV row and column: item errors on the item's row, the others on its first row. */
function rowErrors(candidate: Candidate, error: unknown): ImportView['errors'] {
  if (!(error instanceof DomainError)) throw error;
  const details: ErrorDetail[] = error.details.length ? error.details : [{ path: '', message: error.message }];
  return details.map((d) => {
    const item = /^items\[(\d+)\]\.?(.*)$/.exec(d.path);
    if (item) {
      const line = candidate.rows[Number(item[1])]?.line ?? candidate.rows[0].line;
      return { row: line, path: COLUMN_OF[item[2]] ?? item[2], message: d.message };
    }
    // containers[2] is the containers column.
    const path = d.path.replace(/^containers\[\d+\]$/, 'containers');
    return { row: candidate.rows[0].line, path: COLUMN_OF[path] ?? path, message: d.message };
  });
}
