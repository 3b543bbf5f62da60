/** The devices module's public surface: other modules import only from here. */
export * from './devices.module.js';
export * from './device-revocation.service.js';
export * from './device.entity.js';
export * from './devices-revoked.topic.js';
export * from './signature-key-history.js';
export * from './devices.errors.js';
