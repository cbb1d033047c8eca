import { InjectDataSource } from '@nestjs/typeorm';
import { IsOptional, IsString } from 'class-validator';
import { Command, CommandRunner, Help, Option } from 'nest-commander';
import type { DataSource } from 'typeorm';
import { type Actor, DomainError, ValidationFailedError, validateInput } from '@hgtrace/common';
import { type RunRequest, RunsService, type RunView } from '@hgtrace/crosscheck';
import { jobId } from '@hgtrace/queue';
import { IsDate, IsDateOnly } from '@hgtrace/registry';
import { ActingActor } from '../acting-actor.js';
import { runJobInProcess } from '../in-process-job.js';
import { every, Progress } from '../progress.js';

interface Options {
  from?: string;
  to?: string;
  asOf?: string;
  countries?: string;
  as?: string;
}

/** The dates as POST /api/v1/crosscheck/runs validates them. */
class RunDates {
  @IsOptional() @IsString() @IsDateOnly() @IsDate() from?: string;
  @IsOptional() @IsString() @IsDateOnly() @IsDate() to?: string;
  @IsOptional() @IsString() @IsDateOnly() @IsDate() asOf?: string;
}

const FLAG_OF: Record<string, string> = { from: '--from', to: '--to', asOf: '--as-of', countries: '--countries' };

/** What the progress line says in each phase of a run. */
const PHASES: Record<RunView['phase'], string> = { compliance: 'compliance rules', pairs: 'matching', statistics: 'sweep and statistics', done: 'checked' };

@Command({
  name: 'crosscheck',
  description:
    'Run a cross-check as POST /api/v1/crosscheck/runs does, here with a progress bar on stderr: re-check every declaration ' +
    'dated in the range (compliance rules, matching, pair rules), then sweep for exports and imports whose window has passed ' +
    'without a counterpart (NO_MATCHING_IMPORT, NO_MATCHING_EXPORT); prints the checks done, the flags raised and the flags that hold by rule code',
})
export class CrosscheckCommand extends CommandRunner {
  constructor(
    private readonly runs: RunsService,
    private readonly acting: ActingActor,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super();
  }

  async run(_: string[], options: Options): Promise<void> {
    const request = await this.request(options);
    const actor = await this.acting.resolve(options.as, 'crosscheck.run', 'running a cross-check');
    const { id } = await this.runs.create(actor, request).catch(withOptionNames);
    const started = Date.now();
    const run = await this.follow(actor, id);
    if (run.status === 'failed') throw new DomainError('INTERNAL', `cross-check run ${id} failed: ${run.failure ?? 'no reason given'}`);

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`cross-check run ${id} completed in ${seconds} s: ${run.done} check${run.done === 1 ? '' : 's'} (declarations by the compliance rules, exports by matching), ${run.flagsRaised} flag${run.flagsRaised === 1 ? '' : 's'} raised`);
    console.log(`  range ${run.from ?? 'any date'} to ${run.to ?? 'any date'}, countries ${run.countries?.join(', ') ?? 'all'}, windows judged at ${run.asOf}`);
    const holding = await this.holding(run.countries);
    if (holding.length === 0) {
      console.log('no flags hold');
      return;
    }
    console.log(`flags that hold, by code (${holding.reduce((sum, h) => sum + h.n, 0)}):`);
    const width = Math.max(...holding.map((h) => h.code.length));
    for (const h of holding) console.log(`  ${h.code.padEnd(width)}  ${h.n}`);
  }

  /** The options as a run request: dates checked as the API checks them, countries against ISO 3166-1. */
  private async request(options: Options): Promise<RunRequest> {
    const dates = await validateInput(RunDates, { from: options.from, to: options.to, asOf: options.asOf }).catch(withOptionNames);
    if (dates.from && dates.to && dates.to < dates.from) throw ValidationFailedError.of('--to', `${dates.to} is before --from ${dates.from}`);
    const countries = options.countries === undefined ? undefined : this.acting.countries('--countries', options.countries);
    return { from: dates.from, to: dates.to, asOf: dates.asOf, countries };
  }

  /** Executes the run here (or follows the worker that took it), polling its progress, and returns it finished. */
  private async follow(actor: Actor, id: string): Promise<RunView> {
    const progress = new Progress('checking', 'checks');
    const seen: { status: RunView['status'] } = { status: 'queued' };
    const poll = every(250, async () => {
      const run = await this.runs.get(actor, id);
      seen.status = run.status;
      if (run.status === 'queued') return;
      progress.update(run.done, run.total, run.status === 'completed' ? 'checked' : PHASES[run.phase]);
    });
    const interrupted = () => {
      progress.stop();
      console.error(`interrupted: cross-check run ${id} is left to a worker, which resumes it where it stopped`);
      process.exit(130);
    };
    process.once('SIGINT', interrupted);
    try {
      const ranHere = await runJobInProcess(this.dataSource, jobId('run', id), () => this.runs.execute(id));
      if (!ranHere) {
        progress.note(`a worker has taken cross-check run ${id}; following it (Ctrl-C leaves it to the worker)`);
        while (seen.status !== 'completed' && seen.status !== 'failed') await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      process.off('SIGINT', interrupted);
      await poll.stop();
      progress.stop();
    }
    return this.runs.get(actor, id);
  }

  /** Flags that hold now and involve the run's countries, by rule code. */
  private holding(countries: string[] | null): Promise<{ code: string; n: number }[]> {
    return this.dataSource.query(
      `SELECT code, count(*)::int AS n FROM flags WHERE holds AND ($1::text[] IS NULL OR countries && $1) GROUP BY code ORDER BY code`,
      [countries],
    );
  }

  @Option({ flags: '--from <date>', description: 'first declaration date to re-check, YYYY-MM-DD (default: the earliest)' })
  parseFrom(value: string): string {
    return value;
  }

  @Option({ flags: '--to <date>', description: 'last declaration date to re-check, YYYY-MM-DD, not before --from (default: the latest)' })
  parseTo(value: string): string {
    return value;
  }

  @Option({ flags: '--as-of <date>', description: 'the day the matching windows are judged at, YYYY-MM-DD (default: today)' })
  parseAsOf(value: string): string {
    return value;
  }

  @Option({ flags: '--countries <codes>', description: 'only declarations of or to these countries, comma-separated ISO 3166-1 alpha-2 codes, e.g. MX,BO (default: every country, or those of --as)' })
  parseCountries(value: string): string {
    return value;
  }

  @Option({ flags: '--as <email>', description: 'run as this analyst or admin, within their countries (default: the operator, cli:$USER, over every country)' })
  parseAs(value: string): string {
    return value;
  }

  @Help('after')
  examples(): string {
    return [
      '',
      'Exit status: 0 when the run completed, 1 otherwise (bad options, a failed run).',
      '',
      'Examples:',
      '  npm run cli -- crosscheck',
      '  npm run cli -- crosscheck --from 2026-01-01 --to 2026-06-30 --countries MX,BO --as-of 2026-11-22',
    ].join('\n');
  }
}

/** A validation error about a request field, renamed to the option the operator typed. */
function withOptionNames(error: unknown): never {
  if (error instanceof ValidationFailedError) {
    const details = error.details.map((d) => ({ path: FLAG_OF[d.path] ?? d.path, message: d.message.replace(/\bfrom\b/, '--from') }));
    // A date that is neither YYYY-MM-DD nor a real day fails two rules with the same message.
    const unique = details.filter((d, i) => details.findIndex((o) => o.path === d.path && o.message === d.message) === i);
    throw new ValidationFailedError(unique, error.message);
  }
  throw error;
}
