import { NotFoundException } from '@nestjs/common';

export function orgNotFound(slug: string): NotFoundException {
  return new NotFoundException(`no org "${slug}"`);
}
