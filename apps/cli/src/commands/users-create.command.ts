import { Command, CommandRunner, Option } from 'nest-commander';
import { CreateUserDto, UsersService } from '@hgtrace/auth';
import { systemActor, validateInput } from '@hgtrace/common';


interface Options {
  email: string;
  password: string;
  role: string;
  countries: string;
}

@Command({ name: 'users:create', description: 'Create a user (admin, focal_point, customs_officer, analyst or system) with a country scope' })
export class UsersCreateCommand extends CommandRunner {
  constructor(private readonly users: UsersService) {
    super();
  }

  async run(_: string[], options: Options): Promise<void> {
    const dto = await validateInput(CreateUserDto, { ...options, countries: (options.countries ?? '').split(',').map((c) => c.trim()).filter(Boolean) });
    await this.users.ensureFirstAdmin();
    const user = await this.users.create(systemActor(`cli:${process.env.USER ?? 'operator'}`), dto);
    console.log(JSON.stringify(user, null, 2));
  }

  @Option({ flags: '--email <email>', description: 'login email', required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--password <password>', description: 'at least 12 characters', required: true })
  parsePassword(value: string): string {
    return value;
  }

  @Option({ flags: '--role <role>', description: 'admin | focal_point | customs_officer | analyst | system', required: true })
  parseRole(value: string): string {
    return value;
  }

  @Option({ flags: '--countries <codes>', description: 'comma-separated ISO 3166-1 alpha-2 codes, or * for all (admin and analyst only)', required: true })
  parseCountries(value: string): string {
    return value;
  }
}
