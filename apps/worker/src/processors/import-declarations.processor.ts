import { Injectable } from '@nestjs/common';
import { ImportsService } from '@hgtrace/declarations';
import { type JobHandler, type JobPayloads, JobName, QueueName } from '@hgtrace/queue';

/** Files the declarations of an uploaded CSV. */
@Injectable()
export class ImportDeclarationsProcessor implements JobHandler<JobPayloads[JobName.ImportDeclarations]> {
  readonly queue = QueueName.Imports;
  readonly name = JobName.ImportDeclarations;

  constructor(private readonly imports: ImportsService) {}

  handle(payload: JobPayloads[JobName.ImportDeclarations]): Promise<void> {
    return this.imports.process(payload.importId);
  }
}
