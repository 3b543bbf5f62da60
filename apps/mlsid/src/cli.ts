import { TlogError } from '#tlog';
import { parseArgs, type ParsedArgs } from './args.js';
import { adminLogin } from './admin-login.js';
import { ADMIN_FLAGS, adminAccounts, adminDevices, adminLostDevice, adminReports, adminResume, adminSuspend } from './admin-commands.js';
import { auditExport, auditVerify } from './audit-commands.js';
import { certInspect } from './cert-inspect.js';
import { deviceEnroll, deviceReauthenticate, deviceRenew } from './device-commands.js';
import { EXIT, exitCodeFor, UsageError } from './exit-codes.js';
import { logAccount, logRemovalLatency, logVerify, type CliIo } from './log-commands.js';
import { profileVerify } from './profile-commands.js';

export type { CliIo };

const USAGE = `usage: mlsid <command> [options]

  device enroll --org ORG --out DIR [--flow token|device] [--dev-user NAME] [--id-token T]
                [--ciphersuite 1] [--name NAME] [--platform P] [--idp-connection C] [--url URL]
      Makes a new MLS signature key and has the org CA certify it after an IdP sign-in:
      token flow with an ID token in hand (--id-token), or the device code flow, which prints
      the code and the service page to enter it on (then sign in and confirm the device there).
      In dev mode --dev-user alice signs in at the DEV IdP without a browser (token flow unless
      --flow device). Writes DIR/device.key (PKCS#8 PEM, 0600), DIR/chain.pem (leaf first),
      DIR/credential.bin (RFC 9420 Credential), DIR/device.json.
  device renew --dir DIR [--rotate-key] [--url URL]
      Renews the certificate with a request signed by the device key (no sign-in), rewriting
      the files; --rotate-key certifies a fresh key instead.
  device reauthenticate --dir DIR (--dev-user NAME | --print-nonce | --jti J --id-token T)
                [--idp-connection C] [--url URL]
      A fresh IdP sign-in for the device (the org's reauthenticateAfterDays passed, or the
      certificate lapsed while it was offline): same device id and identity, new certificate.
      The ID token's nonce binds the device key and the request: --print-nonce prints a jti
      and the nonce to sign in with; --jti and --id-token then send it. --dev-user does both
      at the DEV IdP.
  cert inspect FILE [--url URL --token T]
      Profile fields of a chain.pem, credential.bin or DER certificate (identity URI, email,
      serial, validity, key algorithm and cipher suites, SHA-256) and its status at the service
      (POST /v1/certificates/status with a delivery-service token).
  log verify  --url URL --org ORG [--token T] [--key VKEY] [--state FILE]
      Fetches the org's latest checkpoint, checks its signature with the pinned log key,
      its consistency with the last checkpoint seen (state file), and replays every entry
      to rebuild its root.
  log account --url URL --org ORG --account ID [--token T] [--key VKEY] [--state FILE]
      Verifies the account's key history: each entry proven in the checkpoint, and complete.
  log removal-latency --url URL --org ORG [--token T] [--key VKEY] [--state FILE] [--json]
      Verifies the log as log verify does, then reports MLS removal latency from its entries
      alone (removal_committed time − planned time): count, p50, p90, p99, max, and the
      removals still open.
  admin accounts search [--q TEXT] [--field any|userName|email|name] [--match prefix|substring]
                [--status active|suspended|inactive] [--limit N] [--cursor C | --all] [--json]
  admin accounts show ID [--json]
  admin devices list [--status S] [--platform P] [--account ID] [--name PREFIX] [--limit N]
                [--cursor C | --all] [--json]
  admin devices show ID [--json]
      The org's accounts and devices through the management API (--url URL --org ORG), one
      page at a time (the next page's --cursor is printed) or --all pages.
  admin lost-device ID      Report a lost device: revoked, removed from its MLS groups, logged.
  admin suspend ID          Suspend an account by hand (every device revoked); admin resume ID lifts it.
  admin reports overdue-removals|devices-by-status|enrollments|certificate-expiry [--days N]
                [--bucket day|week] [--json]
      Admin commands authenticate with MLSID_ADMIN_TOKEN (or --token): a token from
      mlsid admin login, or the break-glass ADMIN_TOKEN.

  admin login --org ORG [--url URL] [--token-file FILE]
      Signs in as an admin of ORG through its IdP, in a browser (device flow): prints the page
      and code to enter there, waits, then prints export MLSID_ADMIN_TOKEN=… (use it with
      eval "$(mlsid admin login --org ORG)") or writes the token to FILE (0600). The token is a
      bearer token for /v1/admin/… with the roles the IdP groups give; it expires within 1 h.
  audit export --url URL --org ORG --token T [--out FILE] [--actor A] [--action X] [--target T]
               [--since ISO] [--until ISO]
      The org's audit log as JSON lines (GET /v1/admin/orgs/ORG/audit-events/export), with an
      auditor token or an admin token whose role reads the audit log.
  audit verify [--file FILE] [--url URL --org ORG --token T] [--key VKEY] [--state FILE] [--no-anchors]
      Recomputes the hash chain of an unfiltered export (--file, else fetched from the API) and
      checks it against the audit_anchor entries of the org's KT log, verified as log verify
      does. Exit 7 names the first broken sequence: edited, deleted, reordered, anchor_mismatch.
      --no-anchors checks a file's chain alone (no service needed; a rewritten chain passes).
  profile verify ORG --url URL [--key VKEY]
      Fetches /.well-known/mls-identity/ORG (the org's MLS profile) and checks it is signed by
      the org's log key (--key, obtained out of band; else the keys the profile names) and
      unchanged: exit 3 when the signature or the body does not match.

  Without --url, ./.data/dev-credentials.json (written by dev mode) gives URL, org and token.
  The state file defaults to ./.data/mlsid-log-ORG.json; the log key is pinned in it on first use.

exit codes: 0 ok, 1 other error (usage, malformed answers), 2 log inconsistent (fork, rollback,
            entries not matching), 3 bad checkpoint signature, 4 log or service unreachable,
            5 refused by the service (enrollment denied, device revoked), 6 certificate not valid,
            7 audit chain broken (an entry edited, deleted or reordered, or an anchor mismatch)`;

type Command = { valued: string[]; switches?: string[]; positional?: boolean; run(args: ParsedArgs, io: CliIo): Promise<void> };

const LOG_FLAGS = ['url', 'org', 'token', 'key', 'state', 'account'];
const COMMANDS: Record<string, Command> = {
  'log verify': { valued: LOG_FLAGS, run: logVerify },
  'log account': { valued: LOG_FLAGS, run: logAccount },
  'log removal-latency': { valued: LOG_FLAGS.filter((f) => f !== 'account'), switches: ['json'], run: logRemovalLatency },
  'device enroll': {
    valued: ['url', 'org', 'out', 'flow', 'dev-user', 'id-token', 'ciphersuite', 'name', 'platform', 'idp-connection'],
    run: deviceEnroll,
  },
  'device renew': { valued: ['url', 'dir'], switches: ['rotate-key'], run: deviceRenew },
  'device reauthenticate': {
    valued: ['url', 'dir', 'dev-user', 'id-token', 'jti', 'idp-connection'],
    switches: ['print-nonce'],
    run: deviceReauthenticate,
  },
  'audit export': { valued: ['url', 'org', 'token', 'out', 'actor', 'action', 'target', 'since', 'until'], run: auditExport },
  'audit verify': {
    valued: ['url', 'org', 'token', 'key', 'state', 'file'],
    switches: ['no-anchors'],
    run: auditVerify,
  },
  'cert inspect': { valued: ['url', 'token'], positional: true, run: certInspect },
  'admin login': { valued: ['url', 'org', 'token-file'], run: (args, io) => adminLogin(args, io) },
  'admin accounts': {
    valued: [...ADMIN_FLAGS, 'q', 'field', 'match', 'status', 'limit', 'cursor'],
    switches: ['all', 'json'],
    positional: true,
    run: adminAccounts,
  },
  'admin devices': {
    valued: [...ADMIN_FLAGS, 'status', 'platform', 'account', 'name', 'limit', 'cursor'],
    switches: ['all', 'json'],
    positional: true,
    run: adminDevices,
  },
  'admin lost-device': { valued: ADMIN_FLAGS, switches: ['json'], positional: true, run: adminLostDevice },
  'admin suspend': { valued: ADMIN_FLAGS, switches: ['json'], positional: true, run: adminSuspend },
  'admin resume': { valued: ADMIN_FLAGS, switches: ['json'], positional: true, run: adminResume },
  'admin reports': { valued: [...ADMIN_FLAGS, 'days', 'bucket'], switches: ['json'], positional: true, run: adminReports },
  'profile verify': { valued: ['url', 'key'], positional: true, run: profileVerify },
};

/** Runs one command; returns the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [group, command, ...rest] = argv;
    if (group === undefined || group === 'help' || group === '--help') {
      io.out(USAGE);
      return group === undefined ? EXIT.other : EXIT.ok;
    }
    const found = COMMANDS[`${group} ${command ?? ''}`];
    if (!found) throw new UsageError(`unknown command "${argv.join(' ')}"`);
    const args = parseArgs(rest, found.valued, found.switches);
    if (!found.positional && args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
    await found.run(args, io);
    return EXIT.ok;
  } catch (e) {
    const code = exitCodeFor(e);
    const label = e instanceof TlogError ? `${e.code}: ` : '';
    io.err(`mlsid: ${label}${(e as Error)?.message ?? String(e)}`);
    if (e instanceof UsageError) io.err('(mlsid help for usage)');
    return code;
  }
}
