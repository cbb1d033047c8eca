import { Command, CommandRunner, Option } from 'nest-commander';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { CreateTokenDto, UsersService } from '@hgtrace/auth';
import { NotFoundError, systemActor, validateInput } from '@hgtrace/common';


interface Options {
  email: string;
  name: string;
}

@Command({ name: 'tokens:create', description: 'Issue an API token for a system user (a customs system); the token is printed once' })
export class TokensCreateCommand extends CommandRunner {
  constructor(
    private readonly users: UsersService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    super();
  }

  async run(_: string[], options: Options): Promise<void> {
    const dto = await validateInput(CreateTokenDto, { name: options.name });
    const rows: { id: string }[] = await this.dataSource.query(`SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL`, [options.email.trim().toLowerCase()]);
    if (rows.length === 0) throw new NotFoundError('User', options.email);
    const token = await this.users.createToken(systemActor(`cli:${process.env.USER ?? 'operator'}`), rows[0].id, dto.name);
    console.log(token.token);
  }

  @Option({ flags: '--email <email>', description: 'email of the system user', required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--name <name>', description: 'what the token is for, e.g. "VUCEM feed"', required: true })
  parseName(value: string): string {
    return value;
  }
}
