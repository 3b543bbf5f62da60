import type { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations/index.js';

/**
 * Connection and migration settings. Entities are not listed here: in the app each feature
 * module registers its own (TypeOrmModule.forFeature with autoLoadEntities), so this module
 * knows no feature; code that builds a DataSource outside Nest passes the entities it uses.
 */
export function dataSourceOptions(url: string, poolSize = 20, entities: DataSourceOptions['entities'] = []): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'schema_migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5000, application_name: 'mls-identity' },
  };
}
