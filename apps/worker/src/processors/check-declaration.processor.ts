import { Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { Env } from '@hgtrace/config';
import { type CheckOutcome, type CheckRequest, CheckService } from '@hgtrace/crosscheck';
import { type JobHandler, type JobPayloads, JobName, QueueName } from '@hgtrace/queue';

/** Batches of checks one worker process runs at once: one in the database while the next fills. */
const BATCHES_IN_FLIGHT = 2;

/**
 * Checks a declaration that was filed, amended or cancelled. A customs feed files hundreds a second,
 * and checking each on its own would repeat the same queries for every one: the jobs a worker holds at
 * once are checked together (CheckService.checkMany, one transaction), up to CHECK_BATCH_SIZE at a time.
 * A batch starts as soon as a slot is free, so a lone declaration waits for nobody. If a batch fails,
 * its checks run again one by one, so that one declaration that cannot be checked fails only its own job.
 */
@Injectable()
export class CheckDeclarationProcessor implements JobHandler<JobPayloads[JobName.CheckDeclaration]> {
  readonly queue = QueueName.Crosscheck;
  readonly name = JobName.CheckDeclaration;
  readonly concurrency: number;
  private readonly batches: DataLoader<CheckRequest, CheckOutcome, string>;
  private freeSlots = BATCHES_IN_FLIGHT;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly checks: CheckService,
    env: Env,
  ) {
    this.concurrency = 2 * env.CHECK_BATCH_SIZE;
    this.batches = new DataLoader((requests) => this.checkBatch(requests), {
      cache: false,
      maxBatchSize: env.CHECK_BATCH_SIZE,
      batchScheduleFn: (dispatch) => {
        if (this.freeSlots > 0) {
          this.freeSlots--;
          setImmediate(dispatch);
        } else {
          this.waiting.push(dispatch);
        }
      },
    });
  }

  async handle(payload: JobPayloads[JobName.CheckDeclaration]): Promise<void> {
    await this.batches.load({ declarationId: payload.declarationId, version: payload.version });
  }

  private async checkBatch(requests: readonly CheckRequest[]): Promise<(CheckOutcome | Error)[]> {
    try {
      return await this.checks.checkMany([...requests]);
    } catch (error) {
      if (requests.length === 1) return [error as Error];
      const outcomes: (CheckOutcome | Error)[] = [];
      for (const r of requests) outcomes.push(await this.checks.check(r.declarationId, r.version).catch((e: Error) => e));
      return outcomes;
    } finally {
      const next = this.waiting.shift();
      if (next) setImmediate(next);
      else this.freeSlots++;
    }
  }
}
