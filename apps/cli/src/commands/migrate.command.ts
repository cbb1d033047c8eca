import { Command, CommandRunner } from 'nest-commander';
import { loadEnv } from '@hgtrace/config';
import { migrate } from '@hgtrace/database';

@Command({ name: 'migrate', description: 'Create the database if it does not exist and apply pending migrations (the api also does this at start)' })
export class MigrateCommand extends CommandRunner {
  async run(): Promise<void> {
    const applied = await migrate(loadEnv());
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'the database is up to date');
  }
}
