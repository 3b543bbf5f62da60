import { createHash } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * The bare cost the HTTP rows compete with: node:http doing the same work as the service's
 * routes and nothing else (no framework, no logging, no metrics, no database). Run as its own
 * process by `npm run bench:http`, which passes the tokens, leaf chain, checkpoint and tile.
 *  - POST /status: JSON body parsed, SHA-256 of the bearer token and a map lookup, SHA-256 of
 *    the leaf certificate and a map lookup, ~300 B of JSON out (the status route's shape);
 *  - GET /checkpoint, /tile: token hash and lookup, a fixed body out;
 *  - GET /live: a constant JSON answer.
 */
const input = JSON.parse(process.argv[2]!) as { tokens: string[]; leafB64: string; checkpoint: string; tileB64: string };
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const principals = new Map(input.tokens.map((t) => [sha256(t), { orgId: 'org', tokenId: t.slice(0, 8) }]));
const statuses = new Map([[sha256(Buffer.from(input.leafB64, 'base64')), { status: 'valid', notAfter: new Date(Date.now() + 864e5).toISOString() }]]);
const tile = Buffer.from(input.tileB64, 'base64');

const authorized = (header: string | undefined) => header?.startsWith('Bearer ') && principals.has(sha256(header.slice(7)));

const server = createServer((req, res) => {
  if (req.url === '/live') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  if (!authorized(req.headers.authorization)) {
    res.writeHead(401).end();
    return;
  }
  if (req.url === '/checkpoint') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(input.checkpoint);
    return;
  }
  if (req.url === '/tile') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tile);
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { chains: string[][] };
    const results = body.chains.map((chain) => {
      const fingerprint = sha256(Buffer.from(chain[0]!, 'base64'));
      return { fingerprint, ...(statuses.get(fingerprint) ?? { status: 'unknown' }) };
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as { port: number }).port}\n`);
});
