import { Global, Inject, Injectable, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/index.js';
import { DatabaseKeyStore } from './database-key-store.js';
import { KEY_STORE } from './key-store.js';
import { SecretBox } from './secret-box.js';
import { CustodyKey } from './custody-key.entity.js';
import type { KeyStore } from './key-store.js';
import { Pkcs11KeyStore } from './pkcs11-key-store.js';
import { Pkcs11Token } from './pkcs11-token.js';

function createKeyStore(config: AppConfig, ds: DataSource, box: SecretBox): KeyStore {
  const database = new DatabaseKeyStore(ds, box);
  if (config.keyStore.kind === 'database') return database;
  const { module, tokenLabel, slot, pin, sessions } = config.keyStore;
  const token = new Pkcs11Token({ module, tokenLabel, slot, pin, sessions });
  try {
    const store = new Pkcs11KeyStore(ds, token, database);
    new Logger('KeyStore').log(`keys are generated and used in PKCS#11 ${token.description}`);
    return store;
  } catch (e) {
    token.close();
    throw e;
  }
}

/** Logs out of the token and unloads the PKCS#11 module when the app stops. */
@Injectable()
class KeyStoreShutdown implements OnApplicationShutdown {
  constructor(@Inject(KEY_STORE) private readonly store: KeyStore) {}

  onApplicationShutdown(): void {
    if (this.store instanceof Pkcs11KeyStore) this.store.close();
  }
}

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
      inject: [APP_CONFIG, getDataSourceToken(), SecretBox],
      useFactory: createKeyStore,
    },
    KeyStoreShutdown,
  ],
  exports: [SecretBox, KEY_STORE],
})
export class KeysModule {}
