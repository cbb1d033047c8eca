import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import argon2 from 'argon2';
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AuditService } from '@hgtrace/audit';
import { type Actor, ALL_COUNTRIES, BusinessRuleError, ConflictError, NotFoundError, systemActor, ValidationFailedError } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { isUniqueViolation } from '@hgtrace/database';
import { ApiToken } from './api-token.entity.js';
import { CredentialCache } from './credential-cache.js';
import { User, type UserView, toUserView } from './user.entity.js';
import type { CreateUserDto } from './user.dto.js';

/** argon2id with the OWASP-recommended minimums (19 MiB, 2 passes). */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const ONE_COUNTRY_ROLES = new Set(['focal_point', 'customs_officer', 'system']);

export function hashApiToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly env: Env,
    private readonly credentials: CredentialCache,
  ) {}

  async create(actor: Actor, dto: CreateUserDto): Promise<UserView> {
    const countries = [...new Set(dto.countries)];
    if (countries.includes(ALL_COUNTRIES) && countries.length > 1) {
      throw ValidationFailedError.of('countries', '"*" stands for all countries and cannot be combined with others');
    }
    if (countries.includes(ALL_COUNTRIES) && dto.role !== 'admin' && dto.role !== 'analyst') {
      throw ValidationFailedError.of('countries', '"*" (all countries) is only for analyst and admin');
    }
    if (ONE_COUNTRY_ROLES.has(dto.role) && countries.length !== 1) {
      throw ValidationFailedError.of('countries', `a ${dto.role} acts for exactly one country`);
    }
    const passwordHash = await argon2.hash(dto.password, ARGON2_OPTIONS);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const user = await manager.save(manager.create(User, { email: dto.email, passwordHash, role: dto.role, countries, deletedAt: null }));
        const view = toUserView(user);
        await this.audit.record(manager, actor, { action: 'user.create', entity: 'user', entityId: user.id, countries: userCountries(view), after: view });
        return view;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_key')) throw new ConflictError(`A user with email ${dto.email} exists`, [{ path: 'email', message: 'is taken' }]);
      throw error;
    }
  }

  async list(): Promise<UserView[]> {
    const users = await this.dataSource.getRepository(User).createQueryBuilder('u').where('u.deleted_at IS NULL').orderBy('u.email').getMany();
    return users.map(toUserView);
  }

  async get(id: string): Promise<UserView> {
    return toUserView(await this.findActive(id));
  }

  async remove(actor: Actor, id: string): Promise<void> {
    if (actor.userId === id) throw new BusinessRuleError('You cannot delete your own account');
    await this.dataSource.transaction(async (manager) => {
      const user = await manager.getRepository(User).createQueryBuilder('u').setLock('pessimistic_write').where('u.id = :id AND u.deleted_at IS NULL', { id }).getOne();
      if (!user) throw new NotFoundError('User', id);
      await manager.query(`UPDATE users SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id]);
      await manager.query(`UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [id]);
      const view = toUserView(user);
      await this.audit.record(manager, actor, { action: 'user.delete', entity: 'user', entityId: id, countries: userCountries(view), before: view });
    });
    // Other processes hear of it from PostgreSQL; this one must not serve the next request from memory first.
    this.credentials.invalidate();
  }

  /** Issues an API token for a `system` user; the token is returned once and only its hash kept. */
  async createToken(actor: Actor, userId: string, name: string): Promise<{ id: string; name: string; token: string }> {
    const user = await this.findActive(userId);
    if (user.role !== 'system') throw new BusinessRuleError('API tokens are for system users (customs systems); this user logs in with a password');
    const token = `hgt_${randomBytes(32).toString('base64url')}`;
    try {
      return await this.dataSource.transaction(async (manager) => {
        const saved = await manager.save(manager.create(ApiToken, { userId, name, tokenHash: hashApiToken(token), lastUsedAt: null, revokedAt: null }));
        await this.audit.record(manager, actor, { action: 'token.create', entity: 'api_token', entityId: saved.id, countries: user.countries, after: { id: saved.id, userId, name } });
        return { id: saved.id, name, token };
      });
    } catch (error) {
      if (isUniqueViolation(error, 'api_tokens_user_name_key')) throw new ConflictError(`This user already has a token named ${name}`, [{ path: 'name', message: 'is taken' }]);
      throw error;
    }
  }

  /** Creates the first admin from HGTRACE_ADMIN_EMAIL and HGTRACE_ADMIN_PASSWORD when there are no users. */
  async ensureFirstAdmin(): Promise<boolean> {
    const passwordHash = await argon2.hash(this.env.HGTRACE_ADMIN_PASSWORD, ARGON2_OPTIONS);
    const email = this.env.HGTRACE_ADMIN_EMAIL.toLowerCase();
    return this.dataSource.transaction(async (manager) => {
      // Serialise api replicas starting together, so that exactly one creates the admin.
      await manager.query(`LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`);
      const [{ count }] = await manager.query(`SELECT count(*)::int AS count FROM users`);
      if (count > 0) return false;
      const user = await manager.save(manager.create(User, { email, passwordHash, role: 'admin', countries: [ALL_COUNTRIES], deletedAt: null }));
      const view = toUserView(user);
      await this.audit.record(manager, systemActor('bootstrap'), { action: 'user.create', entity: 'user', entityId: user.id, countries: userCountries(view), after: view });
      this.logger.log(`created the first admin, ${email}`);
      return true;
    });
  }

  private async findActive(id: string): Promise<User> {
    const user = await this.dataSource.getRepository(User).createQueryBuilder('u').where('u.id = :id AND u.deleted_at IS NULL', { id }).getOne();
    if (!user) throw new NotFoundError('User', id);
    return user;
  }
}

/** Users are administrative records; their audit events are visible to admins, and to analysts of their countries. */
function userCountries(user: UserView): string[] {
  return user.countries.filter((c) => c !== ALL_COUNTRIES);
}
