import { TlogError } from '#tlog';
import { parseArgs } from './args.js';
import { EXIT, exitCodeFor, UsageError } from './exit-codes.js';
import { logAccount, logVerify, type CliIo } from './log-commands.js';

export type { CliIo };

const USAGE = `usage: mlsid <command> [options]

  log verify  --url URL --org ORG [--token T] [--key VKEY] [--state FILE]
      Fetches the org's latest checkpoint, checks its signature with the pinned log key,
      its consistency with the last checkpoint seen (state file), and replays every entry
      to rebuild its root.
  log account --url URL --org ORG --account ID [--token T] [--key VKEY] [--state FILE]
      Verifies the account's key history: each entry proven in the checkpoint, and complete.

  Without --url, ./.data/dev-credentials.json (written by dev mode) gives URL, org and token.
  The state file defaults to ./.data/mlsid-log-ORG.json; the log key is pinned in it on first use.

exit codes: 0 ok, 1 other error, 2 log inconsistent (fork, rollback, entries not matching),
            3 bad checkpoint signature, 4 log unreachable`;

const LOG_FLAGS = ['url', 'org', 'token', 'key', 'state', 'account'];

/** Runs one command; returns the process exit code. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const [group, command, ...rest] = argv;
    if (group === undefined || group === 'help' || group === '--help') {
      io.out(USAGE);
      return group === undefined ? EXIT.other : EXIT.ok;
    }
    if (group !== 'log' || (command !== 'verify' && command !== 'account')) throw new UsageError(`unknown command "${argv.join(' ')}"`);
    const args = parseArgs(rest, LOG_FLAGS);
    if (args.positional.length > 0) throw new UsageError(`unexpected argument "${args.positional[0]}"`);
    if (command === 'verify') await logVerify(args, io);
    else await logAccount(args, io);
    return EXIT.ok;
  } catch (e) {
    const code = exitCodeFor(e);
    const label = e instanceof TlogError ? `${e.code}: ` : '';
    io.err(`mlsid: ${label}${(e as Error)?.message ?? String(e)}`);
    if (e instanceof UsageError) io.err('(mlsid help for usage)');
    return code;
  }
}
