import { applyDecorators, type CanActivate, type ExecutionContext, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { EnrollmentRateLimits, type AnonymousRouteClass } from './enrollment-rate-limits.service.js';

const ROUTE_CLASS = 'enrollment:anonymous-route-class';

/**
 * Counts the request against its client address before anything else of the route runs
 * (guards precede pipes: an invalid body or an unknown org is counted too). Only `ip` is read
 * from the request, which both HTTP adapters provide.
 */
@Injectable()
export class AnonymousLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: EnrollmentRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const routeClass = this.reflector.get<AnonymousRouteClass | undefined>(ROUTE_CLASS, context.getHandler());
    if (!routeClass) return true;
    const req = context.switchToHttp().getRequest<{ ip?: string }>();
    await this.limits.admitClient(routeClass, req.ip);
    return true;
  }
}

/** An anonymous route, rate-limited per client address in the given class. */
export const AnonymousLimit = (routeClass: AnonymousRouteClass) =>
  applyDecorators(SetMetadata(ROUTE_CLASS, routeClass), UseGuards(AnonymousLimitGuard));
