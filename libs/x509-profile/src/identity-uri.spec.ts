import { ProfileParameterError } from './errors.js';
import { deviceIdentityUri, parseIdentityUri, serviceIdentityUri } from './identity-uri.js';
import { nameConstraintViolation, orgNameConstraintsExtension, uriHost } from './name-constraints.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } from '@peculiar/asn1-x509';

describe('mls-identity URIs', () => {
  it('writes and reads device and service identities', () => {
    const uri = deviceIdentityUri('acme', '00u1abc', 'Dev_1.x~y');
    expect(uri).toBe('mls-identity://acme/accounts/00u1abc/devices/Dev_1.x~y');
    expect(parseIdentityUri(uri)).toEqual({ kind: 'device', org: 'acme', accountId: '00u1abc', deviceId: 'Dev_1.x~y' });
    expect(serviceIdentityUri('acme', 'removal')).toBe('mls-identity://acme/service/removal');
    expect(parseIdentityUri('mls-identity://acme/service/removal')).toEqual({ kind: 'service', org: 'acme', service: 'removal' });
  });

  it('refuses anything without one canonical spelling', () => {
    expect(() => deviceIdentityUri('ACME', 'a', 'd')).toThrow(ProfileParameterError);
    expect(() => deviceIdentityUri('acme', 'a@b', 'd')).toThrow(ProfileParameterError);
    expect(() => deviceIdentityUri('acme', '..', 'd')).toThrow(ProfileParameterError);
    expect(() => deviceIdentityUri('acme', 'a', 'x'.repeat(129))).toThrow(ProfileParameterError);
    for (const uri of [
      'mls-identity://ACME/accounts/a/devices/d',
      'MLS-IDENTITY://acme/accounts/a/devices/d',
      'mls-identity://acme:443/accounts/a/devices/d',
      'mls-identity://acme/accounts/a%20b/devices/d',
      'mls-identity://acme/accounts/a/devices/d/',
      'mls-identity://acme/accounts/./devices/d',
      'mls-identity://user@acme/accounts/a/devices/d',
      'mls-identity://acme/service/other',
      'https://acme/accounts/a/devices/d',
    ]) {
      expect(parseIdentityUri(uri)).toBeUndefined();
    }
  });
});

describe('RFC 5280 §4.2.1.10 URI name constraints', () => {
  const permitted = (base: string) =>
    new NameConstraints({
      permittedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ uniformResourceIdentifier: base }) })]),
    });
  const uri = (value: string) => new GeneralName({ uniformResourceIdentifier: value });

  it('takes the host as OpenSSL does', () => {
    expect(uriHost('mls-identity://acme/accounts/a/devices/d')).toBe('acme');
    expect(uriHost('mls-identity://acme:1/x')).toBe('acme');
    expect(uriHost('mls-identity:acme')).toBeUndefined();
    expect(uriHost('urn:x:y')).toBeUndefined();
  });

  it('permits exactly the org host, and subdomains only for a leading dot', () => {
    const acme = permitted('acme');
    expect(nameConstraintViolation([uri('mls-identity://acme/accounts/a/devices/d')], acme)).toBeUndefined();
    expect(nameConstraintViolation([uri('mls-identity://ACME/x')], acme)).toBeUndefined(); // hosts are case-insensitive
    expect(nameConstraintViolation([uri('mls-identity://acme2/x')], acme)).toMatch(/outside/);
    expect(nameConstraintViolation([uri('mls-identity://x.acme/x')], acme)).toMatch(/outside/);
    expect(nameConstraintViolation([uri('urn:acme')], acme)).toMatch(/outside/);
    expect(nameConstraintViolation([new GeneralName({ rfc822Name: 'a@anything.example' })], acme)).toBeUndefined();
    const domain = permitted('.example.com');
    expect(nameConstraintViolation([uri('https://a.example.com/')], domain)).toBeUndefined();
    expect(nameConstraintViolation([uri('https://example.com/')], domain)).toMatch(/outside/);
  });

  it('honours excluded subtrees and fails closed on name forms it does not implement', () => {
    const excluded = new NameConstraints({
      excludedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ dNSName: 'evil.example' }) })]),
    });
    expect(nameConstraintViolation([new GeneralName({ dNSName: 'a.evil.example' })], excluded)).toMatch(/excluded/);
    expect(nameConstraintViolation([new GeneralName({ dNSName: 'good.example' })], excluded)).toBeUndefined();
    const ip = new NameConstraints({
      permittedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ iPAddress: '10.0.0.0' }) })]),
    });
    expect(nameConstraintViolation([uri('mls-identity://acme/x')], ip)).toMatch(/does not support/);
  });

  it('encodes the org constraint as a critical extension with one permitted URI subtree', () => {
    const extension = orgNameConstraintsExtension('acme');
    expect(extension.critical).toBe(true);
    // NameConstraints { permittedSubtrees [0] { GeneralSubtree { [6] "acme" } } }
    expect(Buffer.from(extension.value).toString('hex')).toBe('300aa008300686046163' + '6d65');
    expect(AsnConvert.parse(extension.value, NameConstraints).permittedSubtrees).toHaveLength(1);
    expect(() => orgNameConstraintsExtension('Not A Slug')).toThrow(ProfileParameterError);
  });
});
