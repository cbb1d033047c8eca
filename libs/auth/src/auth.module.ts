import { createSecretKey } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Env } from '@hgtrace/config';
import { ApiToken } from './api-token.entity.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { CredentialCache } from './credential-cache.js';
import { User } from './user.entity.js';
import { UsersService } from './users.service.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([User, ApiToken]),
    JwtModule.registerAsync({
      inject: [Env],
      // The secret as a KeyObject: given a string, jsonwebtoken first tries to read it as a PEM public
      // key and builds the error that throws (about 0.3 ms a token, which was most of an officer's
      // verify); given the key, verifying a token costs about 5 µs.
      useFactory: (env: Env) => ({ secret: createSecretKey(Buffer.from(env.JWT_SECRET!)), signOptions: { algorithm: 'HS256', issuer: 'hgtrace' }, verifyOptions: { issuer: 'hgtrace' } }),
    }),
  ],
  providers: [AuthService, UsersService, CredentialCache],
  exports: [AuthService, UsersService, CredentialCache],
})
export class AuthModule {}

/** The global guard, for the api's module: `providers: [AUTH_GUARD]`. */
export const AUTH_GUARD = { provide: APP_GUARD, useClass: AuthGuard };
