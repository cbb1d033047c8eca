import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, UnauthenticatedError } from '@hgtrace/common';
import { isAllowed, type Permission } from './access-policy.js';
import { type AuthenticatedRequest, PERMISSION_KEY, PUBLIC_KEY } from './auth.decorators.js';
import { AuthService } from './auth.service.js';

/**
 * The one place where requests are authenticated and checked against the access policy. Registered
 * globally: every route is closed unless it is @Public or names an @Allow permission its caller's
 * role holds. A route with neither is refused, so a forgotten decorator fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match) throw new UnauthenticatedError('Send an access token or API token as "Authorization: Bearer <token>"');
    request.user = await this.auth.authenticate(match[1]);
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(PERMISSION_KEY, targets);
    if (!permission || !isAllowed(request.user.role, permission)) {
      throw new ForbiddenError(`Your role (${request.user.role}) does not allow this`);
    }
    return true;
  }
}
