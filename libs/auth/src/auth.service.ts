import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import argon2 from 'argon2';
import type { DataSource } from 'typeorm';
import { type Role, UnauthenticatedError } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { preparedStatement, queryPrepared } from '@hgtrace/database';
import { CredentialCache } from './credential-cache.js';
import { ARGON2_OPTIONS, hashApiToken } from './users.service.js';
import type { UserView } from './user.entity.js';

/** The caller of a request, as the guard establishes it. */
export interface AuthenticatedUser {
  id: string;
  email: string;
  role: Role;
  countries: string[];
  via: 'jwt' | 'api_token';
}

interface AccessTokenClaims {
  sub: string;
  role: Role;
}

const BAD_CREDENTIALS = 'The email or password is wrong';

/** What the cache keeps for a credential: the user, and for an API token the token's id. */
interface CachedCaller {
  user: Omit<AuthenticatedUser, 'via'>;
  tokenId: string | null;
}

/** Read on every authenticated request: prepared once per connection. */
const USER_OF_ACCESS_TOKEN = preparedStatement('hg_user_of_access_token', `SELECT id, email, role, countries FROM users WHERE id = $1 AND deleted_at IS NULL`);
const USER_OF_API_TOKEN = preparedStatement(
  'hg_user_of_api_token',
  `SELECT u.id, u.email, u.role, u.countries, t.id AS token_id
     FROM api_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.deleted_at IS NULL`,
);

@Injectable()
export class AuthService {
  /** A hash to verify against when the email is unknown, so both failures take the same time. */
  private readonly decoyHash: Promise<string>;
  /** When this process last recorded each API token's use (a token per customs system: a small map). */
  private readonly tokenUseRecorded = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jwt: JwtService,
    private readonly env: Env,
    private readonly cache: CredentialCache<CachedCaller>,
  ) {
    this.decoyHash = argon2.hash('decoy password for timing', ARGON2_OPTIONS);
  }

  async login(email: string, password: string): Promise<{ accessToken: string; expiresIn: number; user: UserView }> {
    const rows: { id: string; email: string; role: Role; countries: string[]; password_hash: string; created_at: Date }[] = await this.dataSource.query(
      `SELECT id, email, role, countries, password_hash, created_at FROM users WHERE email = $1 AND deleted_at IS NULL`,
      [email.trim().toLowerCase()],
    );
    const user = rows[0];
    const valid = await argon2.verify(user?.password_hash ?? (await this.decoyHash), password).catch(() => false);
    if (!user || !valid) throw new UnauthenticatedError(BAD_CREDENTIALS);
    const claims: AccessTokenClaims = { sub: user.id, role: user.role };
    const accessToken = await this.jwt.signAsync(claims, { expiresIn: this.env.JWT_TTL_SECONDS });
    return {
      accessToken,
      expiresIn: this.env.JWT_TTL_SECONDS,
      user: { id: user.id, email: user.email, role: user.role, countries: user.countries, createdAt: user.created_at.toISOString() },
    };
  }

  /**
   * Resolves a bearer credential: an API token (`hgt_...`) or an access token (JWT). The user is read
   * from the database, or from the cache that every change to users and tokens empties
   * ({@link CredentialCache}), so a deleted user, a revoked token or a changed role takes effect with
   * the next request (made elsewhere: as soon as PostgreSQL's notice of it arrives).
   */
  async authenticate(bearer: string): Promise<AuthenticatedUser> {
    if (bearer.startsWith('hgt_')) return this.authenticateApiToken(bearer);
    let claims: AccessTokenClaims;
    try {
      claims = await this.jwt.verifyAsync<AccessTokenClaims & object>(bearer, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthenticatedError('The access token is invalid or has expired');
    }
    if (typeof claims.sub !== 'string' || !/^[0-9a-f-]{36}$/i.test(claims.sub)) throw new UnauthenticatedError('The access token is invalid');
    const key = `user:${claims.sub.toLowerCase()}`;
    let cached = this.cache.get(key);
    if (!cached) {
      const stamp = this.cache.stamp();
      const rows = await queryPrepared<Omit<AuthenticatedUser, 'via'>[]>(this.dataSource, USER_OF_ACCESS_TOKEN, [claims.sub]);
      if (rows.length === 0) throw new UnauthenticatedError('The account of this access token no longer exists');
      cached = { user: rows[0], tokenId: null };
      this.cache.set(key, cached, stamp);
    }
    return callerOf(cached, 'jwt');
  }

  private async authenticateApiToken(token: string): Promise<AuthenticatedUser> {
    const tokenHash = hashApiToken(token);
    const key = `token:${tokenHash.toString('base64')}`;
    let cached = this.cache.get(key);
    if (!cached) {
      const stamp = this.cache.stamp();
      const rows = await queryPrepared<(Omit<AuthenticatedUser, 'via'> & { token_id: string })[]>(this.dataSource, USER_OF_API_TOKEN, [tokenHash]);
      if (rows.length === 0) throw new UnauthenticatedError('The API token is invalid or has been revoked');
      const { token_id: tokenId, ...user } = rows[0];
      cached = { user, tokenId };
      this.cache.set(key, cached, stamp);
    }
    const tokenId = cached.tokenId!;
    // Record use at most once a minute per token, off the request's path (and without a round trip in between).
    const now = Date.now();
    if ((this.tokenUseRecorded.get(tokenId) ?? 0) < now - 60_000) {
      this.tokenUseRecorded.set(tokenId, now);
      void this.dataSource
        .query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [tokenId])
        .catch(() => undefined);
    }
    return callerOf(cached, 'api_token');
  }
}

/** A caller of its own for each request (the cached entry is shared). */
function callerOf({ user }: CachedCaller, via: AuthenticatedUser['via']): AuthenticatedUser {
  return { id: user.id, email: user.email, role: user.role, countries: [...user.countries], via };
}
