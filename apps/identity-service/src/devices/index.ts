/** The devices module's public surface: other modules import only from here. */
export * from './devices.module.js';
export * from './device-admin.service.js';
export * from './device-lifecycle.service.js';
export * from './device-revocation.service.js';
export * from './device.entity.js';
export {
  ACTIVE_DEVICE_SQL,
  deviceOrgId,
  isActiveDevice,
  likePrefix,
  type DeviceFilter,
  type DeviceRecord,
  type NewDevice,
} from './device.repository.js';
export * from './devices-revoked.topic.js';
export * from './devices.errors.js';
export * from './devices.service.js';
export { deviceView } from './device.view.js';
