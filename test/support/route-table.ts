import type { INestApplication } from '@nestjs/common';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ADMIN_PERMISSION, AUTH_KINDS, PUBLIC_ROUTE, type AdminPermission } from '../../apps/identity-service/src/common/access/index.js';

export interface RouteInfo {
  method: string;
  path: string;
  handler: string;
  authKinds: string[];
  isPublic: boolean;
  /** The permission an admin needs (`@AdminRoute`/`@Permission`); undefined: platform admins only. */
  adminPermission?: AdminPermission;
}

/** Every route Nest registered, with the authentication it declares. */
export function routeTable(app: INestApplication): RouteInfo[] {
  const discovery = app.get(DiscoveryService);
  const scanner = app.get(MetadataScanner);
  const reflector = app.get(Reflector);
  const routes: RouteInfo[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as object | undefined;
    if (!instance || !wrapper.metatype) continue;
    const base = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, wrapper.metatype) ?? '');
    const proto = Object.getPrototypeOf(instance);
    for (const name of scanner.getAllMethodNames(proto)) {
      const fn = proto[name];
      const sub = Reflect.getMetadata(PATH_METADATA, fn);
      if (sub === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, fn) as number];
      const targets = [fn, wrapper.metatype];
      for (const b of base) {
        for (const s of ([] as string[]).concat(sub)) {
          const path = `/${[b, s]
            .filter((p) => p && p !== '/')
            .map((p) => p.replace(/^\/|\/$/g, ''))
            .join('/')}`;
          routes.push({
            method,
            path,
            handler: `${wrapper.metatype.name}.${name}`,
            authKinds: reflector.getAllAndOverride<string[]>(AUTH_KINDS, targets) ?? [],
            isPublic: reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets) ?? false,
            adminPermission: reflector.getAllAndOverride<AdminPermission | undefined>(ADMIN_PERMISSION, targets),
          });
        }
      }
    }
  }
  return routes;
}
