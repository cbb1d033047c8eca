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
import { ActingActor } from './acting-actor.js';
import { CrosscheckCommand } from './commands/crosscheck.command.js';
import { DemoSeedCommand } from './commands/demo-seed.command.js';
import { DemoSeeder } from './demo/demo-seeder.js';
import { ImportCommand } from './commands/import.command.js';
import { MigrateCommand } from './commands/migrate.command.js';
import { MirrorImportCommand } from './commands/mirror-import.command.js';
import { TokensCreateCommand } from './commands/tokens-create.command.js';
import { UsersCreateCommand } from './commands/users-create.command.js';

const COMMANDS = [MigrateCommand, UsersCreateCommand, TokensCreateCommand, DemoSeedCommand, ImportCommand, CrosscheckCommand, MirrorImportCommand];

@Module({
  imports: [ConfigModule, DatabaseModule, QueueModule, AuditModule, AuthModule, ReferenceModule, RegistryModule, ConsentsModule, DeclarationsModule, CrosscheckModule],
  providers: [...COMMANDS, DemoSeeder, ActingActor],
})
export class CliModule {}

/**
 * The commands without their dependencies, for --help: the help is read from their decorators, so
 * it needs no database (the full module would connect to one first, and fail where there is none).
 */
@Module({ providers: COMMANDS.map((command) => ({ provide: command, useValue: Object.create(command.prototype) })) })
export class CliHelpModule {}
