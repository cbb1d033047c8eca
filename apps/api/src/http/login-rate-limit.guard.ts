import { type CanActivate, type ExecutionContext, Injectable, type OnModuleInit } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { DomainError } from '@hgtrace/common';
import { Env } from '@hgtrace/config';
import { QueueService } from '@hgtrace/queue';

/**
 * Login attempts per client address and email, counted in Redis so that every api replica shares
 * the count; while Redis is away each replica counts in memory instead.
 */
@Injectable()
export class LoginRateLimitGuard implements CanActivate, OnModuleInit {
  private limiter?: RateLimiterRedis;

  constructor(
    private readonly env: Env,
    private readonly queues: QueueService,
  ) {}

  onModuleInit(): void {
    const points = this.env.LOGIN_RATE_LIMIT_PER_MINUTE;
    this.limiter = new RateLimiterRedis({
      storeClient: this.queues.redis,
      keyPrefix: `${this.env.QUEUE_PREFIX}:login`,
      points,
      duration: 60,
      insuranceLimiter: new RateLimiterMemory({ points, duration: 60 }),
    });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest<{ Body: { email?: unknown } | undefined }>>();
    const email = typeof request.body?.email === 'string' ? request.body.email.trim().toLowerCase().slice(0, 254) : '';
    try {
      await this.limiter!.consume(`${request.ip}|${email}`);
      return true;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', String(Math.ceil(rejection.msBeforeNext / 1000)));
      throw new DomainError('RATE_LIMITED', 'Too many login attempts; wait a minute and try again');
    }
  }
}
