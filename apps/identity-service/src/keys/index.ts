/** The keys module's public surface: other modules import only from here. */
export * from './keys.module.js';
export * from './custody-key.entity.js';
export * from './key-store.js';
export * from './keys.errors.js';
export * from './secret-box.js';
export { Pkcs11KeyStore } from './pkcs11-key-store.js';
export type { PrivateKeyAttributes } from './pkcs11-token.js';
export * from './sealed-columns.js';
export { rewrapSealedData, type RewrapResult } from './kek-rotation.js';
