import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { isAllowed, PERMISSIONS, type Permission } from '@hgtrace/auth';
import { type Actor, ForbiddenError, NotFoundError, systemActor, ValidationFailedError } from '@hgtrace/common';
import { ReferenceService } from '@hgtrace/reference';

/** The operator at the console, over every country; the audit log names them `cli:<login>`. */
export function operatorActor(): Actor {
  return systemActor(`cli:${process.env.USER ?? 'operator'}`);
}

/**
 * Who a command acts as: the operator by default, or with `--as <email>` a user of hgtrace, who then
 * needs the same permission and keeps the same country scope as through the API.
 */
@Injectable()
export class ActingActor {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reference: ReferenceService,
  ) {}

  async resolve(email: string | undefined, permission: Permission, what: string): Promise<Actor> {
    if (email === undefined) return operatorActor();
    const [user]: { id: string; email: string; role: Actor['role']; countries: string[] }[] = await this.dataSource.query(
      `SELECT id, email, role, countries FROM users WHERE email = $1 AND deleted_at IS NULL`,
      [email.trim().toLowerCase()],
    );
    if (!user) throw new NotFoundError('User', email);
    if (!isAllowed(user.role, permission)) {
      throw new ForbiddenError(`${user.email} is ${article(user.role)} ${user.role}; ${what} takes the role ${PERMISSIONS[permission].join(' or ')}`);
    }
    return { userId: user.id, email: user.email, role: user.role, countries: user.countries, requestId: null, ip: null };
  }

  /** Upper-cased ISO 3166-1 alpha-2 codes from a comma-separated option; an unknown code is refused. */
  countries(option: string, value: string): string[] {
    const codes = value.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean);
    if (codes.length === 0) throw ValidationFailedError.of(option, 'needs at least one country code, e.g. MX or MX,BO');
    const unknown = codes.filter((c) => !this.reference.country(c));
    if (unknown.length) throw ValidationFailedError.of(option, `${unknown.join(', ')} ${unknown.length === 1 ? 'is not an ISO 3166-1 alpha-2 country code' : 'are not ISO 3166-1 alpha-2 country codes'}`);
    return [...new Set(codes)];
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}
