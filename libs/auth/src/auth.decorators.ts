import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Actor } from '@hgtrace/common';
import type { Permission } from './access-policy.js';
import type { AuthenticatedUser } from './auth.service.js';

export const PUBLIC_KEY = 'hgtrace:public';
export const PERMISSION_KEY = 'hgtrace:permission';

/** No authentication: health, metrics, login. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The permission of the access policy a handler requires. */
export const Allow = (permission: Permission) => SetMetadata(PERMISSION_KEY, permission);

export interface AuthenticatedRequest extends FastifyRequest {
  user?: AuthenticatedUser;
}

export function actorOf(request: AuthenticatedRequest): Actor {
  const user = request.user;
  return {
    userId: user?.id ?? null,
    email: user?.email ?? 'anonymous',
    role: user?.role ?? 'service',
    countries: user?.countries ?? [],
    requestId: (request as { id?: unknown }).id !== undefined ? String((request as { id?: unknown }).id) : null,
    ip: request.ip ?? null,
  };
}

/** The authenticated caller with the request id and address, for scope checks and the audit log. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => actorOf(context.switchToHttp().getRequest<AuthenticatedRequest>()));
