import { CanActivate, ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthErrors } from '../common/access/index.js';
import { AUTH_KINDS, PUBLIC_ROUTE } from '../common/access/index.js';

/**
 * Global fail-closed guard: a route that declares neither @Authenticated nor @Public is
 * refused, so forgetting the decorator can never open a route.
 */
@Injectable()
export class DeclaredAuthGuard implements CanActivate {
  private readonly log = new Logger(DeclaredAuthGuard.name);
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const kinds = this.reflector.getAllAndOverride<string[]>(AUTH_KINDS, targets);
    if (kinds && kinds.length > 0) return true;
    this.log.error(`route ${context.getClass().name}.${context.getHandler().name} declares no authentication`);
    return AuthErrors.raise('authentication_required', 'authentication required');
  }
}
