import { ScimError } from '../errors.js';
import type { Filter } from './ast.js';
import { parseFilter, parsePatchPath } from './parse.js';

function invalidFilter(text: string, options = {}): ScimError {
  try {
    parseFilter(text, options);
  } catch (e) {
    expect(e).toBeInstanceOf(ScimError);
    expect((e as ScimError).scimType).toBe('invalidFilter');
    expect((e as ScimError).status).toBe(400);
    return e as ScimError;
  }
  throw new Error(`accepted ${text}`);
}

/** Compact rendering of the tree, to assert structure and precedence. */
function show(f: Filter): string {
  const p = (path: { uri?: string; name: string; subAttr?: string }) =>
    `${path.uri ? `${path.uri}:` : ''}${path.name}${path.subAttr ? `.${path.subAttr}` : ''}`;
  switch (f.kind) {
    case 'and':
    case 'or':
      return `(${show(f.left)} ${f.kind} ${show(f.right)})`;
    case 'not':
      return `not ${show(f.filter)}`;
    case 'present':
      return `${p(f.path)} pr`;
    case 'compare':
      return `${p(f.path)} ${f.op} ${JSON.stringify(f.value)}`;
    case 'valuePath':
      return `${p(f.path)}[${show(f.filter)}]`;
  }
}

describe('parseFilter (RFC 7644 §3.4.2.2)', () => {
  it.each(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'])('parses the %s operator', (op) => {
    expect(show(parseFilter(`userName ${op} "bjensen"`))).toBe(`userName ${op} "bjensen"`);
  });

  it('parses pr', () => {
    expect(show(parseFilter('title pr'))).toBe('title pr');
  });

  it('treats operators, keywords and literals case-insensitively and keeps attribute spelling', () => {
    expect(show(parseFilter('UserName EQ "x" AND Active Eq TRUE OR NOT (title PR)'))).toBe('((UserName eq "x" and Active eq true) or not title pr)');
  });

  it('gives "and" precedence over "or"', () => {
    expect(show(parseFilter('a pr or b pr and c pr'))).toBe('(a pr or (b pr and c pr))');
    expect(show(parseFilter('a pr and b pr or c pr'))).toBe('((a pr and b pr) or c pr)');
  });

  it('honours parentheses and not()', () => {
    expect(show(parseFilter('(a pr or b pr) and c pr'))).toBe('((a pr or b pr) and c pr)');
    expect(show(parseFilter('not(a pr) and b pr'))).toBe('(not a pr and b pr)');
    expect(show(parseFilter('userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")'))).toBe(
      '(userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org"))',
    );
  });

  it('parses value paths with logical filters inside', () => {
    expect(show(parseFilter('emails[type eq "work" and value co "@example.com"]'))).toBe('emails[(type eq "work" and value co "@example.com")]');
    expect(show(parseFilter('emails[type eq "work" and primary eq true] or ims[type eq "xmpp"]'))).toBe(
      '(emails[(type eq "work" and primary eq true)] or ims[type eq "xmpp"])',
    );
  });

  it('parses URN-qualified attribute names', () => {
    const f = parseFilter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"');
    expect(f).toEqual({
      kind: 'compare',
      op: 'eq',
      path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', name: 'manager', subAttr: 'value' },
      value: '26118915-6090-4610-87e4-49d8ca9f808d',
    });
  });

  it('parses numbers, booleans, null and dates', () => {
    expect(show(parseFilter('a eq 12.5e3 and b eq -0 and c eq false and d eq null'))).toBe(
      '(((a eq 12500 and b eq 0) and c eq false) and d eq null)',
    );
    expect(show(parseFilter('meta.lastModified gt "2011-05-13T04:42:34Z"'))).toBe('meta.lastModified gt "2011-05-13T04:42:34Z"');
  });

  it('decodes JSON string escapes and keeps unicode', () => {
    const f = parseFilter('displayName eq "a\\"b\\\\c\\u00e9\\n\\/ 日本 😀"');
    expect(f.kind === 'compare' && f.value).toBe('a"b\\cé\n/ 日本 😀');
  });

  it('accepts $ref as an attribute name', () => {
    expect(show(parseFilter('members.$ref pr'))).toBe('members.$ref pr');
  });

  describe('rejects with invalidFilter', () => {
    it.each([
      ['injection with a non-attribute operand', 'userName eq "x" or 1 eq 1'],
      ['unquoted value by default', 'userName eq bjensen'],
      ['unterminated string', 'userName eq "bjensen'],
      ['escaped closing quote only', 'userName eq "bjensen\\"'],
      ['bad escape', 'userName eq "a\\x"'],
      ['raw control character', 'userName eq "a\u0001"'],
      ['unknown operator', 'userName like "x"'],
      ['missing value', 'userName eq'],
      ['missing operand after and', 'userName pr and'],
      ['dangling or', 'or userName pr'],
      ['SQL in the operator position', "userName eq 'x'; DROP TABLE account; --"],
      ['trailing garbage', 'userName pr )'],
      ['unbalanced parenthesis', '(userName pr'],
      ['unbalanced bracket', 'emails[type eq "work"'],
      ['nested value path', 'emails[type[value eq "x"] pr]'],
      ['value path on a sub-attribute', 'name.givenName[value eq "x"]'],
      ['three-part name', 'name.given.name eq "x"'],
      ['attribute starting with a digit', '1abc eq "x"'],
      ['operator without spaces', 'userName eq"x"'],
      ['empty filter', '   '],
      ['single-quoted string', "userName eq 'x'"],
    ])('%s', (_why, text) => {
      expect(invalidFilter(text).detail).toMatch(/^invalid filter: /);
    });

    it('1000 nested parentheses', () => {
      const text = `${'('.repeat(1000)}userName pr${')'.repeat(1000)}`;
      expect(invalidFilter(text).detail).toMatch(/nesting deeper/);
    });

    it('500 nested not()', () => {
      expect(invalidFilter(`${'not ('.repeat(500)}a pr${')'.repeat(500)}`).detail).toMatch(/nesting deeper/);
    });

    it('a filter longer than the limit', () => {
      expect(invalidFilter(`userName eq "${'a'.repeat(5000)}"`).detail).toMatch(/longer than 4096/);
    });

    it('non-string input', () => {
      expect(invalidFilter(42 as unknown as string).detail).toMatch(/must be a string/);
    });
  });

  it('accepts nesting up to the configured depth', () => {
    expect(show(parseFilter(`${'('.repeat(32)}a pr${')'.repeat(32)}`))).toBe('a pr');
    invalidFilter(`${'('.repeat(4)}a pr${')'.repeat(4)}`, { maxDepth: 3 });
  });

  describe('allowUnquotedValues (the Microsoft test collection dialect)', () => {
    const options = { allowUnquotedValues: true };
    it('reads bare words as strings', () => {
      expect(show(parseFilter('name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)', options))).toBe(
        '(name.FamilyName eq "Employee" and (emails.Value co "example.com" or emails.Value co "example.org"))',
      );
      expect(show(parseFilter('meta.Created gt 2015-10-10T14:38:21.8617979-07:00', options))).toBe(
        'meta.Created gt "2015-10-10T14:38:21.8617979-07:00"',
      );
      expect(show(parseFilter('userName sw O', options))).toBe('userName sw "O"');
    });
    it('still rejects the injection shape and stray quotes', () => {
      invalidFilter('userName eq x or 1 eq 1', options);
      invalidFilter('userName eq x"y', options);
    });
  });
});

describe('parsePatchPath (RFC 7644 §3.5.2)', () => {
  it('parses attribute, sub-attribute and URN paths', () => {
    expect(parsePatchPath('userName')).toEqual({ path: { name: 'userName' } });
    expect(parsePatchPath('name.givenName')).toEqual({ path: { name: 'name', subAttr: 'givenName' } });
    expect(parsePatchPath('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager')).toEqual({
      path: { uri: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', name: 'manager' },
    });
  });

  it('parses value paths with and without a trailing sub-attribute', () => {
    const withSub = parsePatchPath('emails[type eq "work"].value');
    expect(withSub.path).toEqual({ name: 'emails' });
    expect(withSub.subAttr).toBe('value');
    expect(show(withSub.filter!)).toBe('type eq "work"');
    const members = parsePatchPath('members[value eq "2819c223-7f76-453a-919d-413861904646"]');
    expect(members.subAttr).toBeUndefined();
    expect(show(members.filter!)).toBe('value eq "2819c223-7f76-453a-919d-413861904646"');
  });

  it.each([
    '',
    'emails[type eq "work"',
    'emails[type eq "work"].',
    'emails[type eq "work"]x',
    'a b',
    'name.givenName[type eq "x"]',
    'emails[type eq "work"].value.x',
  ])('rejects %j with invalidPath', (text) => {
    expect(() => parsePatchPath(text)).toThrow(expect.objectContaining({ scimType: 'invalidPath' }));
  });
});
