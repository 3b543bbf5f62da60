import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SealedDataError } from './keys.errors.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM under the key-encryption key. The associated data binds a sealed value to the
 * record it belongs to (e.g. `custody_key:{id}`), so copying ciphertext between rows in the
 * database makes it unopenable rather than silently usable under another identity.
 * Layout: version(1) ‖ iv(12) ‖ ciphertext ‖ tag(16).
 */
export class SecretBox {
  constructor(private readonly kek: Buffer) {
    if (kek.length !== 32) throw new Error('SecretBox needs a 32-byte key-encryption key');
  }

  seal(plaintext: Uint8Array, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.kek, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, body, cipher.getAuthTag()]);
  }

  open(sealed: Uint8Array, context: string): Buffer {
    const data = Buffer.from(sealed);
    if (data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== VERSION) throw new SealedDataError();
    const iv = data.subarray(1, 1 + IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const body = data.subarray(1 + IV_BYTES, data.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.kek, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new SealedDataError();
    }
  }
}
