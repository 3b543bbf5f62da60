import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options.js';
import { PgListeners } from './pg-listener.js';

@Module({})
export class DatabaseModule {
  /**
   * Migrations have already run (database/migrate.ts) when this connects. Each feature module
   * registers its entities with TypeOrmModule.forFeature, so this module imports none of them.
   */
  static forRoot(url: string): DynamicModule {
    return {
      module: DatabaseModule,
      // Global like TypeORM's DataSource: listeners are opened by feature modules, read by health.
      global: true,
      providers: [PgListeners],
      exports: [PgListeners],
      imports: [TypeOrmModule.forRoot({ ...dataSourceOptions(url), autoLoadEntities: true, retryAttempts: 0 })],
    };
  }
}
