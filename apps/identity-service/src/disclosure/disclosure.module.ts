import { Module } from '@nestjs/common';
import { OrgsModule } from '../orgs/index.js';
import { RemovalsModule } from '../removals/index.js';
import { TransparencyModule } from '../transparency/index.js';
import { MlsProfileController } from './mls-profile.controller.js';
import { MlsProfileService } from './mls-profile.service.js';

/** What the service discloses about itself: each org's signed MLS profile. */
@Module({
  imports: [OrgsModule, RemovalsModule, TransparencyModule],
  controllers: [MlsProfileController],
  providers: [MlsProfileService],
})
export class DisclosureModule {}
