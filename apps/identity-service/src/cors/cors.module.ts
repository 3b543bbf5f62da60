import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { OrgsModule } from '../orgs/index.js';
import { BrowserCorsMiddleware } from './browser-cors.middleware.js';

/**
 * Cross-origin access for the org's browser apps (issue 13 §8). A module of its own: it reads
 * the orgs' settings and asks the enrollment and devices modules whose an id is, and no module
 * depends on it. Applied to every path; the middleware picks the routes it covers itself, so
 * preflights (OPTIONS, which no controller declares) reach it on any adapter.
 */
@Module({ imports: [OrgsModule], providers: [BrowserCorsMiddleware] })
export class CorsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(BrowserCorsMiddleware).forRoutes('*path');
  }
}
