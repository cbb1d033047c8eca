import { Module } from '@nestjs/common';
import { AuditModule } from '@hgtrace/audit';
import { AuthModule } from '@hgtrace/auth';
import { ConfigModule } from '@hgtrace/config';
import { DatabaseModule } from '@hgtrace/database';
import { QueueModule } from '@hgtrace/queue';
import { MigrateCommand } from './commands/migrate.command.js';
import { TokensCreateCommand } from './commands/tokens-create.command.js';
import { UsersCreateCommand } from './commands/users-create.command.js';

@Module({
  imports: [ConfigModule, DatabaseModule, QueueModule, AuditModule, AuthModule],
  providers: [MigrateCommand, UsersCreateCommand, TokensCreateCommand],
})
export class CliModule {}
