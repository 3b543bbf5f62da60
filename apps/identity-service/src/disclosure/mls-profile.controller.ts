import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Public } from '../common/access/index.js';
import { OrgParam, type Org } from '../orgs/index.js';
import { MlsProfileService } from './mls-profile.service.js';

@ApiTags('mls')
@Controller('.well-known/mls-identity')
export class MlsProfileController {
  constructor(private readonly profiles: MlsProfileService) {}

  /**
   * Public on purpose: the profile is what anyone choosing or auditing this deployment should
   * know before trusting it, and holds only public configuration and public keys. Signed by
   * the org's log key(s) (`mlsid profile verify`).
   */
  @Get(':org')
  @Public()
  disclose(@OrgParam() org: Org) {
    return this.profiles.disclose(org);
  }
}
