import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner, Help, Option } from 'nest-commander';
import type { DataSource } from 'typeorm';
import { ensureCanActIn } from '@hgtrace/auth';
import { type Actor, DomainError } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { type ImportView, ImportsService } from '@hgtrace/declarations';
import { jobId } from '@hgtrace/queue';
import { ActingActor } from '../acting-actor.js';
import { runJobInProcess } from '../in-process-job.js';
import { every, Progress } from '../progress.js';

interface Options {
  as?: string;
  country?: string;
}

/** Exit status when the file was processed but some of its rows were rejected. */
export const EXIT_ROWS_REJECTED = 2;
/** How many rejected rows the summary lists; GET /api/v1/imports/{id} has them all (up to 1,000). */
const ERRORS_SHOWN = 10;

@Command({
  name: 'import',
  arguments: '<file>',
  argsDescription: { file: 'the CSV file: one row per item, the first line naming the columns (see the README)' },
  description:
    'Import declarations from a CSV file as POST /api/v1/imports does (same validation, duplicates recognised, audited), ' +
    'processed here with a progress bar on stderr; prints what was created, what was a duplicate and which rows were rejected',
})
export class ImportCommand extends CommandRunner {
  constructor(
    private readonly imports: ImportsService,
    private readonly acting: ActingActor,
    private readonly env: Env,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super();
  }

  async run([file]: string[], options: Options): Promise<void> {
    let actor = await this.acting.resolve(options.as, 'declarations.write', 'importing declarations');
    if (options.country !== undefined) {
      const [country] = this.acting.countries('--country', options.country);
      ensureCanActIn(actor, country, 'import declarations');
      // Rows of another declaring country are then rejected, as for an officer of this one.
      actor = { ...actor, countries: [country] };
    }
    await this.checkFile(file);

    const { id } = await this.imports.receive(actor, basename(file), createReadStream(file));
    const view = await this.follow(actor, id);

    if (view.status === 'failed') throw new DomainError('VALIDATION_FAILED', `${file}: ${view.failure}`);
    this.summarise(file, view);
    if (view.rejected > 0) process.exitCode = EXIT_ROWS_REJECTED;
  }

  /** Processes the import here (or follows the worker that took it) with a progress bar, and returns the result. */
  private async follow(actor: Actor, id: string): Promise<ImportView> {
    const progress = new Progress('importing', 'rows');
    const seen: { status?: ImportView['status'] } = {};
    const poll = every(250, async () => {
      const view = await this.imports.get(actor, id);
      seen.status = view.status;
      // rows_done is the file line of the last row filed; line 1 is the header.
      progress.update(view.status === 'completed' ? (view.rowsTotal ?? 0) : view.rowsDone - 1, view.rowsTotal, view.rowsTotal === null ? 'reading the file' : view.status === 'completed' ? 'imported' : 'importing');
    });
    const interrupted = () => {
      progress.stop();
      console.error(`interrupted: import ${id} is left to a worker, which resumes it where it stopped`);
      process.exit(130);
    };
    process.once('SIGINT', interrupted);
    try {
      const ranHere = await runJobInProcess(this.dataSource, jobId('import', id), () => this.imports.process(id));
      if (!ranHere) {
        progress.note(`a worker has taken import ${id}; following it (Ctrl-C leaves it to the worker)`);
        while (seen.status !== 'completed' && seen.status !== 'failed') await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      process.off('SIGINT', interrupted);
      await poll.stop();
      progress.stop();
    }
    return this.imports.get(actor, id);
  }

  private summarise(file: string, view: ImportView): void {
    const declarations = view.created + view.duplicates + view.rejected;
    console.log(`${file}: ${view.rowsTotal ?? 0} rows, ${declarations} declaration${declarations === 1 ? '' : 's'} (import ${view.id})`);
    console.log(`  created    ${view.created}`);
    console.log(`  duplicate  ${view.duplicates}`);
    console.log(`  rejected   ${view.rejected}`);
    if (view.errors.length > 0) {
      const shown = view.errors.slice(0, ERRORS_SHOWN);
      console.log(view.errors.length > shown.length ? `first ${shown.length} of ${view.errors.length} row errors:` : 'row errors:');
      for (const e of shown) console.log(`  row ${e.row}  ${e.path ? `${e.path}: ` : ''}${e.message}`);
    }
    if (view.created > 0) console.log('the new declarations are checked by the worker, or by a crosscheck run');
  }

  /** A missing, unreadable, empty or oversized file is refused before anything is stored. */
  private async checkFile(file: string): Promise<void> {
    let size: number;
    try {
      const handle = await open(file, 'r');
      try {
        const stat = await handle.stat();
        if (stat.isDirectory()) throw new DomainError('BAD_REQUEST', `${file} is a directory, not a CSV file`);
        size = stat.size;
        await handle.read(Buffer.alloc(1), 0, 1, 0);
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof DomainError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new DomainError('NOT_FOUND', `${file}: no such file`);
      if (code === 'EISDIR') throw new DomainError('BAD_REQUEST', `${file} is a directory, not a CSV file`);
      if (code === 'EACCES' || code === 'EPERM') throw new DomainError('FORBIDDEN', `${file} cannot be read: permission denied`);
      throw new DomainError('BAD_REQUEST', `${file} cannot be read: ${(error as Error).message}`);
    }
    if (size === 0) throw new DomainError('VALIDATION_FAILED', `${file} is empty`);
    if (size > this.env.UPLOAD_LIMIT_BYTES) {
      throw new DomainError('PAYLOAD_TOO_LARGE', `${file} has ${size} bytes, more than UPLOAD_LIMIT_BYTES (${this.env.UPLOAD_LIMIT_BYTES}) allows; split it or raise the limit`);
    }
  }

  @Option({ flags: '--as <email>', description: 'file the declarations as this customs officer or system user, within their countries (default: the operator, cli:$USER, over every country)' })
  parseAs(value: string): string {
    return value;
  }

  @Option({ flags: '--country <code>', description: 'accept only declarations of this declaring country (ISO 3166-1 alpha-2); rows of any other are rejected' })
  parseCountry(value: string): string {
    return value;
  }

  @Help('after')
  examples(): string {
    return [
      '',
      'Exit status: 0 when every declaration was created or already there (duplicate), 2 when some rows',
      'were rejected (listed with their line and column), 1 when the file could not be imported at all.',
      '',
      'Examples:',
      '  npm run cli -- import examples/declarations.csv',
      '  npm run cli -- import mx-2026-03.csv --country MX --as vucem.feed@sat.gob.mx',
    ].join('\n');
  }
}
