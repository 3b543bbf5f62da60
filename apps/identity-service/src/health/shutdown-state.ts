import { Injectable } from '@nestjs/common';

/** Set on SIGTERM so readiness fails and the load balancer stops sending while we drain. */
@Injectable()
export class ShutdownState {
  draining = false;
}
