import { Injectable } from '@nestjs/common';
import { CheckService } from '@hgtrace/crosscheck';
import { type JobHandler, type JobPayloads, JobName, QueueName } from '@hgtrace/queue';

/** Checks a declaration that was filed, amended or cancelled. */
@Injectable()
export class CheckDeclarationProcessor implements JobHandler<JobPayloads[JobName.CheckDeclaration]> {
  readonly queue = QueueName.Crosscheck;
  readonly name = JobName.CheckDeclaration;

  constructor(private readonly checks: CheckService) {}

  async handle(payload: JobPayloads[JobName.CheckDeclaration]): Promise<void> {
    await this.checks.check(payload.declarationId, payload.version);
  }
}
