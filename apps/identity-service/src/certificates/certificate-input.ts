import { BadRequestException } from '@nestjs/common';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/** One chain from the API: base64 DER strings and/or PEM blocks, leaf first. */
export function decodeChainInput(items: unknown, where: string): Uint8Array[] {
  if (!Array.isArray(items) || items.length < 1 || items.length > 4) {
    throw new BadRequestException({ message: `${where} must be an array of 1-4 certificates`, reason: 'malformed' });
  }
  const out: Uint8Array[] = [];
  for (const item of items) {
    if (typeof item !== 'string' || item.length > 16384) {
      throw new BadRequestException({ message: `${where} holds something that is not a certificate string`, reason: 'malformed' });
    }
    const blocks = [...item.matchAll(PEM_BLOCK)].map((b) => b[1]);
    for (const b64 of blocks.length > 0 ? blocks : [item]) {
      const clean = b64.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) {
        throw new BadRequestException({ message: `${where} is neither PEM nor base64 DER`, reason: 'malformed' });
      }
      out.push(new Uint8Array(Buffer.from(clean, 'base64')));
    }
  }
  if (out.length > 4) throw new BadRequestException({ message: `${where} has more than 4 certificates`, reason: 'malformed' });
  return out;
}
