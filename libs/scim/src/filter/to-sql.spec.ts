import { ENTERPRISE } from '../../test-support/project-schemas.js';
import { HOSTILE, USER_SQL_OPTIONS as options } from '../../test-support/user-sql-map.js';
import { ScimError } from '../errors.js';
import { parseFilter } from './parse.js';
import { filterToSql, sortToSql } from './to-sql.js';

function compile(filter: string, extra: { paramOffset?: number; allowUnquotedValues?: boolean } = {}) {
  return filterToSql(parseFilter(filter, { allowUnquotedValues: extra.allowUnquotedValues }), { ...options, paramOffset: extra.paramOffset });
}

describe('filterToSql', () => {
  it('compiles case-insensitive string comparison with lower() and parameters', () => {
    expect(compile('userName eq "BJensen"')).toEqual({ where: 'lower(u.user_name) = lower($1::text)', params: ['BJensen'] });
    expect(compile('id eq "A1"')).toEqual({ where: 'u.id = $1::text', params: ['A1'] });
  });

  it("numbers placeholders after the caller's own parameters", () => {
    expect(compile('userName sw "b" and active eq true', { paramOffset: 1 })).toEqual({
      where: "(lower(u.user_name) LIKE lower($2::text) ESCAPE '\\' AND u.active = $3)",
      params: ['b%', true],
    });
  });

  it('escapes LIKE wildcards in the parameter, not in the SQL', () => {
    expect(compile('userName co "50%_off\\\\"').params).toEqual(['%50\\%\\_off\\\\%']);
  });

  it('compiles ne and not() as null-safe negation', () => {
    expect(compile('userName ne "x"').where).toBe('NOT COALESCE(lower(u.user_name) = lower($1::text), false)');
    expect(compile('not (active eq true)').where).toBe('NOT COALESCE(u.active = $1, false)');
  });

  it('compiles timestamps through a validated, normalised parameter', () => {
    expect(compile('meta.created gt "2015-10-10T14:38:21.8617979-07:00"')).toEqual({
      where: 'u.created > $1::timestamptz',
      params: ['2015-10-10T21:38:21.861Z'],
    });
  });

  it('compiles jsonb arrays and value paths over the same element', () => {
    const { where, params } = compile('emails[type eq "work" and value co "@example.com"]');
    expect(where).toBe(
      "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(u.emails) = 'array' THEN u.emails ELSE '[]'::jsonb END) AS scim_e1(v) WHERE (lower((scim_e1.v->>$1::text)) = lower($2::text) AND lower((scim_e1.v->>$3::text)) LIKE lower($4::text) ESCAPE '\\'))",
    );
    expect(params).toEqual(['type', 'work', 'value', '%@example.com%']);
  });

  it('wraps caller EXISTS templates once per value path', () => {
    expect(compile('groups[value eq "g1" and display sw "Eng"]').where).toBe(
      "EXISTS (SELECT 1 FROM group_member gm WHERE gm.member_id = u.id AND ((gm.group_id = $1::text AND lower(gm.group_name) LIKE lower($2::text) ESCAPE '\\')))",
    );
  });

  it('finds attributes case-insensitively and through URNs', () => {
    expect(compile(`URN:ietf:params:scim:schemas:core:2.0:User:USERNAME eq "x"`).where).toBe('lower(u.user_name) = lower($1::text)');
    expect(compile(`${ENTERPRISE.toLowerCase()}:EmployeeNumber eq "7"`).where).toBe('lower(u.employee_number) = lower($1::text)');
  });

  it.each([
    ['an attribute that is not mapped', 'title eq "x"'],
    ['an unknown sub-attribute of a jsonb array', 'emails.display eq "x"'],
    ['ordering on a boolean', 'active gt true'],
    ['a string for a boolean', 'active eq "yes"'],
    ['a bad timestamp', 'meta.created gt "yesterday"'],
    ['a substring match on null', 'userName co null'],
    ['a value path over sub-attributes stored apart', 'groups[value eq "x" and type eq "direct"]'],
  ])('rejects %s with invalidFilter', (_why, filter) => {
    expect(() => compile(filter)).toThrow(expect.objectContaining({ scimType: 'invalidFilter' }));
  });

  it.each(HOSTILE)('never puts a value into the SQL text: %j', (value) => {
    for (const op of ['eq', 'ne', 'co', 'sw', 'ew', 'gt']) {
      const filter = `userName ${op} ${JSON.stringify(value)} or emails[type eq ${JSON.stringify(value)}] or groups.value eq ${JSON.stringify(value)}`;
      const { where, params } = compile(filter);
      expect(where).not.toContain(value);
      expect(where).not.toMatch(/DROP|UNION|pg_sleep|1=1/);
      expect(params.some((p) => typeof p === 'string' && p.includes(value.replace(/[\\%_]/g, '')[0] ?? ''))).toBe(true);
    }
  });

  it('rejects U+0000, which PostgreSQL text cannot hold', () => {
    expect(() => compile('userName eq "Robert\\u0000); DROP"')).toThrow(expect.objectContaining({ scimType: 'invalidFilter' }));
  });

  it('sortToSql orders by mapped columns only', () => {
    expect(sortToSql('UserName', undefined, options)).toBe('lower(u.user_name) ASC NULLS LAST');
    expect(sortToSql('meta.created', 'Descending', options)).toBe('u.created DESC NULLS FIRST');
    expect(sortToSql(undefined, undefined, options)).toBeUndefined();
    for (const bad of ['emails', 'groups.value', 'title', '1=1; --', 'userName desc']) {
      expect(() => sortToSql(bad, undefined, options)).toThrow(ScimError);
    }
    expect(() => sortToSql('userName', 'sideways', options)).toThrow(expect.objectContaining({ scimType: 'invalidValue' }));
  });
});
