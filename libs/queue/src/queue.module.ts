import { Global, Module } from '@nestjs/common';
import { OutboxService } from './outbox.service.js';
import { QueueService } from './queue.service.js';
import { JobInbox } from './job-inbox.service.js';

/** Queues, the outbox writer and the job inbox, for every process. The worker app adds the relay and the workers. */
@Global()
@Module({
  providers: [OutboxService, QueueService, JobInbox],
  exports: [OutboxService, QueueService, JobInbox],
})
export class QueueModule {}
