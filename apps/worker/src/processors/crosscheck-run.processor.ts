import { Injectable } from '@nestjs/common';
import { RunsService } from '@hgtrace/crosscheck';
import { type JobHandler, type JobPayloads, JobName, QueueName } from '@hgtrace/queue';

/** Runs (or resumes) a cross-check run requested through POST /crosscheck/runs. */
@Injectable()
export class CrosscheckRunProcessor implements JobHandler<JobPayloads[JobName.CrosscheckRun]> {
  readonly queue = QueueName.Runs;
  readonly name = JobName.CrosscheckRun;

  constructor(private readonly runs: RunsService) {}

  handle(payload: JobPayloads[JobName.CrosscheckRun]): Promise<void> {
    return this.runs.execute(payload.runId);
  }
}

/** The scheduled sweep (CROSSCHECK_SCHEDULE). */
@Injectable()
export class SweepProcessor implements JobHandler<JobPayloads[JobName.Sweep]> {
  readonly queue = QueueName.Runs;
  readonly name = JobName.Sweep;

  constructor(private readonly runs: RunsService) {}

  handle(): Promise<void> {
    return this.runs.sweepNow();
  }
}
