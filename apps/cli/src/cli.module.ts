import { Module } from '@nestjs/common';
import { AuditModule } from '@hgtrace/audit';
import { AuthModule } from '@hgtrace/auth';
import { ConfigModule } from '@hgtrace/config';
import { DatabaseModule } from '@hgtrace/database';
import { QueueModule } from '@hgtrace/queue';
import { ReferenceModule } from '@hgtrace/reference';
import { RegistryModule } from '@hgtrace/registry';
import { ConsentsModule } from '@hgtrace/consents';
import { DeclarationsModule } from '@hgtrace/declarations';
import { CrosscheckModule } from '@hgtrace/crosscheck';
import { DemoSeedCommand } from './commands/demo-seed.command.js';
import { DemoSeeder } from './demo/demo-seeder.js';
import { MigrateCommand } from './commands/migrate.command.js';
import { MirrorImportCommand } from './commands/mirror-import.command.js';
import { TokensCreateCommand } from './commands/tokens-create.command.js';
import { UsersCreateCommand } from './commands/users-create.command.js';

@Module({
  imports: [ConfigModule, DatabaseModule, QueueModule, AuditModule, AuthModule, ReferenceModule, RegistryModule, ConsentsModule, DeclarationsModule, CrosscheckModule],
  providers: [MigrateCommand, UsersCreateCommand, TokensCreateCommand, DemoSeedCommand, DemoSeeder, MirrorImportCommand],
})
export class CliModule {}
