import { CORE_USER, ENTERPRISE, projectSchemas } from '../../test-support/project-schemas.js';
import { validateResourceInput } from '../schema/validate-resource.js';
import { evaluateFilter } from './evaluate.js';
import { parseFilter } from './parse.js';

const users = projectSchemas().resource('User');

// The five users of the Microsoft collection's "User tests with garbage" folder, as stored.
const stored = [
  { userName: 'OMalley', familyName: 'OMalley', emails: ['anna33@example.com', 'anna33@gmail.com'] },
  { userName: 'emp1', familyName: 'Employee', emails: ['anna33@gmail.com', 'anna33@example.com'] },
  { userName: 'emp2', familyName: 'Employee', emails: ['anna33@gmail.com', 'anna33@example.com'] },
  { userName: 'emp3', familyName: 'Employee', emails: ['anna33@gmail.com', 'anna33@example.com'] },
  { userName: 'enterprise', familyName: 'Employee', emails: ['anna33@gmail.com', 'anna33@example.com'] },
].map((u, i) => ({
  id: `id${i}`,
  meta: { created: '2019-09-18T18:15:26.5788954+00:00' },
  ...validateResourceInput(
    { schemas: [CORE_USER], userName: u.userName, name: { familyName: u.familyName }, emails: u.emails.map((value) => ({ value, type: 'work' })) },
    users,
  ),
}));

function count(filter: string): number {
  const parsed = parseFilter(filter, { allowUnquotedValues: true });
  return stored.filter((u) => evaluateFilter(parsed, u, users)).length;
}

describe('evaluateFilter', () => {
  it('gives the counts the Microsoft collection expects', () => {
    expect(count('name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)')).toBe(4);
    expect(count('userName sw O')).toBe(1);
    expect(count('meta.Created gt 2015-10-10T14:38:21.8617979-07:00')).toBe(5);
    expect(count('DisplayName eq "BobIsAmazing"')).toBe(0);
  });

  it('compares caseExact attributes exactly and others case-insensitively', () => {
    const u = { id: 'AbC', userName: 'BJensen' };
    expect(evaluateFilter(parseFilter('id eq "abc"'), u, users)).toBe(false);
    expect(evaluateFilter(parseFilter('id eq "AbC"'), u, users)).toBe(true);
    expect(evaluateFilter(parseFilter('USERNAME eq "bjensen"'), u, users)).toBe(true);
  });

  it('reads extension attributes by URN', () => {
    const u = { id: '1', userName: 'x', [ENTERPRISE]: { manager: { value: 'm1' } } };
    expect(evaluateFilter(parseFilter(`${ENTERPRISE}:manager.value eq "m1"`), u, users)).toBe(true);
  });

  it.each(['nope eq "x"', 'emails[nope eq "x"]', 'name gt "x"', 'active co "t"', 'meta.created gt "soon"', 'userName eq true'])(
    'rejects %s with invalidFilter',
    (filter) => {
      expect(() => evaluateFilter(parseFilter(filter), stored[0], users)).toThrow(expect.objectContaining({ scimType: 'invalidFilter' }));
    },
  );
});
