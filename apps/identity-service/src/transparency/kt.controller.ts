import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { AdminRoute } from '../common/access/index.js';
import { sendValidated, type ValidatedReply, type ValidatedRequest } from '../common/http-validators.js';
import { OrgParam, OrgRefParam, type Org, type OrgRef } from '../orgs/index.js';
import { KtLogs } from './kt-logs.service.js';
import { KtReader } from './kt-reader.service.js';
import { historyView } from './kt-views.js';
import { TransparencyErrors } from './transparency.errors.js';
import { treeNumberParam } from './tree-range-params.js';

/**
 * Who may read an org's log: its enrolled devices (device-signed requests), its delivery
 * services, its auditors (admin-minted auditor tokens) and the admin. OrgScopeGuard keeps
 * every org-bound reader to its own org's log.
 */

/** Full tiles and bundles never change; partial ones are replaced as the log grows. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const SHORT_LIVED = 'public, max-age=5';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** c2sp.org/tlog-tiles read paths and JSON conveniences of an org's key-transparency log. */
@ApiTags('key transparency')
@ApiParam({ name: 'org', type: String, description: 'the org slug' })
@Controller('kt/:org')
@AdminRoute('transparency:read', 'device', 'ds', 'auditor')
export class KtController {
  constructor(
    private readonly logs: KtLogs,
    private readonly reader: KtReader,
  ) {}

  /** The latest signed checkpoint; no-cache: revalidate every time (cheaply, If-None-Match answers 304). */
  @Get('checkpoint')
  async checkpoint(@OrgRefParam() org: OrgRef, @Req() req: ValidatedRequest, @Res() res: ValidatedReply): Promise<void> {
    const { body, etag } = await this.reader.servedCheckpoint(org.id);
    sendValidated(req, res, body, etag, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache' });
  }

  @Get('key')
  async key(@OrgParam() org: Org, @Res({ passthrough: true }) res: ValidatedReply): Promise<string> {
    const log = await this.reader.log(org.id);
    res.header('Content-Type', 'text/plain; charset=utf-8');
    // one verifier key per line: during a key rotation's overlap the current and the new key
    return (await this.logs.verifierKeys(log)).map((k) => `${k}\n`).join('');
  }

  /** Every key rotation statement, oldest first: how a verifier pinned to an old key learns its successor. */
  @Get('key/rotations')
  async keyRotations(@OrgParam() org: Org) {
    const rotations = await this.logs.rotations(org.id);
    return {
      rotations: rotations.map((r) => ({
        statement: r.statement,
        startedAt: r.startedAt.toISOString(),
        overlapUntil: r.overlapUntil.toISOString(),
        finishedAt: r.finishedAt?.toISOString() ?? null,
      })),
    };
  }

  @Get('tile/*path')
  async tile(@OrgRefParam() org: OrgRef, @Param('path') path: string | string[], @Req() req: ValidatedRequest, @Res() res: ValidatedReply) {
    const tile = await this.reader.servedTile(org.id, `tile/${Array.isArray(path) ? path.join('/') : path}`);
    sendValidated(req, res, tile.body, tile.etag, {
      'Content-Type': 'application/octet-stream',
      'Cache-Control': tile.width === 256 ? IMMUTABLE : SHORT_LIVED,
    });
  }

  @Get('proof/inclusion')
  async inclusion(@OrgParam() org: Org, @Query('index') rawIndex: unknown, @Query('size') rawSize: unknown) {
    const index = treeNumberParam('index', rawIndex);
    const size = treeNumberParam('size', rawSize);
    const proof = await this.reader.inclusionProof(org.id, index, size);
    return { index, size, proof: proof.map(b64) };
  }

  @Get('proof/consistency')
  async consistency(@OrgParam() org: Org, @Query('from') rawFrom: unknown, @Query('to') rawTo: unknown) {
    const from = treeNumberParam('from', rawFrom);
    const to = treeNumberParam('to', rawTo);
    const proof = await this.reader.consistencyProof(org.id, from, to);
    return { from, to, proof: proof.map(b64) };
  }

  /** The account's whole key history, each entry with its inclusion proof in the latest checkpoint. */
  @Get('accounts/:accountId')
  async account(@OrgParam() org: Org, @Param('accountId') accountId: string) {
    if (accountId.length > 255) throw TransparencyErrors.error('invalid_account', 'account id is too long');
    return historyView(await this.reader.accountHistory(org.id, accountId));
  }

  /** Where the entry of a kt.append outbox message stands (`pending` resolves within about 1 s). */
  @Get('entries/by-source/:sourceId')
  async bySource(@OrgParam() org: Org, @Param('sourceId') sourceId: string) {
    if (!/^[1-9][0-9]{0,18}$/.test(sourceId)) throw TransparencyErrors.error('invalid_source', 'source id must be an outbox message id');
    return this.reader.requireEntryBySource(org.id, sourceId);
  }

  /** The entries about one certificate (hex SHA-256 of its DER): issuance, renewal, revocation. */
  @Get('entries/by-certificate/:sha256')
  async byCertificate(@OrgParam() org: Org, @Param('sha256') sha256: string) {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw TransparencyErrors.error('invalid_sha256', 'expected 64 lower-case hex digits');
    const found = await this.reader.entriesByCertificate(org.id, Buffer.from(sha256, 'hex'));
    return { entries: found.map((e) => ({ index: e.index, type: e.event.type })) };
  }
}
