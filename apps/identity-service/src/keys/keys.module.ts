import { Global, Module } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { DatabaseKeyStore } from './database-key-store.js';
import { KEY_STORE } from './key-store.js';
import { SecretBox } from './secret-box.js';
import { CustodyKey } from './custody-key.entity.js';

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([CustodyKey])],
  providers: [
    {
      provide: SecretBox,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (!config.kek) throw new Error('no key-encryption key: KEK is unset and dev mode did not provide one');
        return new SecretBox(config.kek);
      },
    },
    {
      provide: KEY_STORE,
      inject: [getDataSourceToken(), SecretBox],
      useFactory: (ds: DataSource, box: SecretBox) => new DatabaseKeyStore(ds, box),
    },
  ],
  exports: [SecretBox, KEY_STORE],
})
export class KeysModule {}
