import { createOrgPki, issueDevice, opensslWorkspace } from './__fixtures__/org-pki.js';

describe('smoke', () => {
  it('verifies with openssl', async () => {
    const pki = await createOrgPki('acme');
    const { certificate } = await issueDevice(pki, 'Ed25519');
    const ws = await opensslWorkspace();
    const root = await ws.write('root.pem', pki.root.pem);
    const inter = await ws.write('inter.pem', pki.intermediate.pem);
    const leaf = await ws.write('leaf.pem', certificate.pem);
    console.log(pki.intermediate.pem, certificate.pem);
    const r = await ws.verify(['-x509_strict', '-CAfile', root, '-untrusted', inter, leaf]);
    console.log(r);
    await ws.dispose();
  });
});
