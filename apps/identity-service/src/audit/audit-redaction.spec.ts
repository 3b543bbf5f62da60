import { REDACTED, redactSecrets } from './audit-redaction.js';

describe('audit redaction', () => {
  it('drops secret-named keys and replaces token-shaped values at any depth', () => {
    const token = `mlsid_scim_${'A'.repeat(43)}`;
    expect(
      redactSecrets({
        prefix: 'mlsid_scim_AAAA',
        description: token,
        clientSecret: 'x',
        nested: { webhookSecret: 'y', list: [token, 'ok'], password: 'p', idToken: 'eyJ', tokenPrefix: 'mlsid_ds_abc' },
      }),
    ).toEqual({ prefix: 'mlsid_scim_AAAA', description: REDACTED, nested: { list: [REDACTED, 'ok'], tokenPrefix: 'mlsid_ds_abc' } });
  });
});
