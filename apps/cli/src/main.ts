import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { DomainError } from '@hgtrace/common';
import { ConfigError, loadEnv } from '@hgtrace/config';
import { migrate } from '@hgtrace/database';
import { loadReferenceData } from '@hgtrace/reference';
import { CliModule } from './cli.module.js';

/** Operators' commands: `npm run cli -- <command> --help`. Exits non-zero with a plain message on any error. */
async function main(): Promise<void> {
  const env = loadEnv();
  const command = process.argv[2];
  // Every command but help works on a migrated database.
  if (command && !command.startsWith('-') && command !== 'help') await migrate(env, loadReferenceData);
  await CommandFactory.run(CliModule, {
    cliName: 'npm run cli --',
    logger: ['error', 'warn'],
    errorHandler: fail,
    serviceErrorHandler: fail,
  });
}

function fail(error: unknown): never {
  if (error instanceof DomainError) {
    console.error(`error: ${error.message}`);
    for (const detail of error.details) console.error(`  ${detail.path || '(input)'}: ${detail.message}`);
  } else if (error instanceof ConfigError) {
    console.error(error.message);
  } else if ((error as { code?: string }).code?.startsWith('commander.')) {
    // commander already printed its message (unknown option, missing argument, help).
    process.exit((error as { exitCode?: number }).exitCode ?? 1);
  } else {
    console.error(`error: ${(error as Error).message ?? error}`);
  }
  process.exit(1);
}

main().catch(fail);
