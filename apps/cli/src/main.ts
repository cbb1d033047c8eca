import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { DomainError, ValidationFailedError } from '@hgtrace/common';
import { ConfigError, loadEnv } from '@hgtrace/config';
import { migrate } from '@hgtrace/database';
import { loadReferenceData } from '@hgtrace/reference';
import { CliHelpModule, CliModule } from './cli.module.js';

/**
 * Operators' commands: `npm run cli -- <command> --help`. Exits non-zero with a plain message on any
 * error: 1, or what a command sets in process.exitCode (import: 2 when rows were rejected).
 */
async function main(): Promise<void> {
  const env = loadEnv();
  const command = process.argv[2];
  const help = !command || command === 'help' || process.argv.slice(2).some((arg) => arg === '--help' || arg === '-h');
  // Every command works on a migrated database; help needs none.
  if (!help) await migrate(env, loadReferenceData);
  await CommandFactory.run(help ? CliHelpModule : CliModule, {
    cliName: 'npm run cli --',
    logger: ['error', 'warn'],
    errorHandler: fail,
    serviceErrorHandler: fail,
  });
}

function fail(error: unknown): never {
  if (error instanceof ValidationFailedError && error.details.length === 1) {
    // One bad option or field: one line that names it.
    const [detail] = error.details;
    console.error(`error: ${detail.path ? `${detail.path}: ` : ''}${detail.message}`);
  } else if (error instanceof DomainError) {
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
