import type { DefaultJobOptions } from 'bullmq';

/** Every BullMQ queue hgtrace uses. */
export enum QueueName {
  /** Checks of single declarations, fed by the outbox. Latency matters. */
  Crosscheck = 'crosscheck',
  /** Long runs over date ranges and the scheduled sweep. */
  Runs = 'runs',
  /** CSV imports of declarations. */
  Imports = 'imports',
}

/** Every job name, with the queue it goes to and its payload in JobPayloads. */
export enum JobName {
  CheckDeclaration = 'check-declaration',
  CrosscheckRun = 'crosscheck-run',
  Sweep = 'sweep',
  ImportDeclarations = 'import-declarations',
}

export interface JobPayloads {
  [JobName.CheckDeclaration]: { declarationId: string; version: number };
  [JobName.CrosscheckRun]: { runId: string };
  /** The scheduled sweep; it sweeps as of the day it runs. */
  [JobName.Sweep]: Record<string, never>;
  [JobName.ImportDeclarations]: { importId: string };
}

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.CheckDeclaration]: QueueName.Crosscheck,
  [JobName.CrosscheckRun]: QueueName.Runs,
  [JobName.Sweep]: QueueName.Runs,
  [JobName.ImportDeclarations]: QueueName.Imports,
};

/**
 * Attempts, backoff and retention, set explicitly per queue. Completed jobs are kept for a day so that
 * a job id published twice by the relay within that time is recognised by BullMQ and not run again;
 * failed jobs are kept for a week for inspection.
 */
export const QUEUE_JOB_OPTIONS: Record<QueueName, DefaultJobOptions> = {
  [QueueName.Crosscheck]: {
    attempts: 8,
    backoff: { type: 'exponential', delay: 1000 },
    removeOnComplete: { age: 24 * 3600, count: 100_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
  [QueueName.Imports]: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 2000 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  },
  [QueueName.Runs]: {
    attempts: 5,
    backoff: { type: 'exponential', delay: 5000 },
    removeOnComplete: { age: 7 * 24 * 3600, count: 1000 },
    removeOnFail: { age: 30 * 24 * 3600 },
  },
};

/** A job to enqueue: the name decides the queue; the id must be deterministic from business keys. */
export interface JobRequest<N extends JobName = JobName> {
  name: N;
  id: string;
  payload: JobPayloads[N];
}

/** BullMQ refuses ':' and all-digit custom ids; business keys are joined with '.' instead. */
export function jobId(...parts: (string | number)[]): string {
  return parts.join('.').replace(/:/g, '_');
}
