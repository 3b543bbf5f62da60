import { Global, Module } from '@nestjs/common';
import { CredentialsService } from './credentials.service.js';
import { OrgsService } from './orgs.service.js';

@Global()
@Module({ providers: [OrgsService, CredentialsService], exports: [OrgsService, CredentialsService] })
export class OrgsModule {}
