import { Command, CommandRunner } from 'nest-commander';
import { loadEnv } from '@hgtrace/config';
import { migrate } from '@hgtrace/database';
import { loadReferenceData } from '@hgtrace/reference';

@Command({ name: 'migrate', description: 'Create the database if it does not exist, apply pending migrations and load the reference data (the api also does this at start)' })
export class MigrateCommand extends CommandRunner {
  async run(): Promise<void> {
    // main() has already created the database and applied what was pending, before connecting.
    await migrate(loadEnv(), loadReferenceData);
    console.log('the database is up to date, with the reference data loaded');
  }
}
