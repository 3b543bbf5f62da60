import { createHash } from 'node:crypto';

/**
 * The service's few HTML pages (enrollment confirmation and activation): no script, one
 * inline style allowed by its hash, never framed (clickjacking would make "Enroll" a click
 * away), never cached or sent as a referrer (the callback URL carries the authorization code).
 */
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1b1b1f}
h1{font-size:1.4rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;padding:1rem;background:#f3f4f6;border-radius:.5rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}.warn{border-left:4px solid #b45309;padding:.5rem 1rem;background:#fffbeb}
.error{border-left:4px solid #b91c1c;padding:.5rem 1rem;background:#fef2f2}
input[type=text]{font:1.5rem ui-monospace,monospace;letter-spacing:.2rem;text-transform:uppercase;width:12rem;padding:.3rem}
button{font:inherit;padding:.5rem 1.2rem;margin-top:1rem;border-radius:.4rem;border:1px solid #1d4ed8;background:#1d4ed8;color:#fff}
code{font-size:1.1rem}`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

export const HTML_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
};

/** Text for HTML element content and double-quoted attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${esc(title)}</h1>
${body}
</main></body></html>
`;
}
