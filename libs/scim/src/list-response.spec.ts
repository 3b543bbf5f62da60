import { renderScimError, ScimError } from './errors.js';
import { buildListResponse, LIST_RESPONSE_SCHEMA, normalizePaging, pagingToOffset } from './list-response.js';

describe('normalizePaging (RFC 7644 §3.4.2.4)', () => {
  it.each([
    [{}, { startIndex: 1, count: 200 }],
    [
      { startIndex: '1', count: '2' },
      { startIndex: 1, count: 2 },
    ],
    [
      { startIndex: 0, count: 10 },
      { startIndex: 1, count: 10 },
    ],
    [
      { startIndex: '-5', count: '-1' },
      { startIndex: 1, count: 0 },
    ],
    [
      { startIndex: 51, count: 100000 },
      { startIndex: 51, count: 200 },
    ],
    [
      { startIndex: '', count: '' },
      { startIndex: 1, count: 200 },
    ],
  ])('%j → %j', (input, expected) => {
    expect(normalizePaging(input)).toEqual(expected);
  });

  it('uses the configured maximum and default', () => {
    expect(normalizePaging({}, { maxResults: 50, defaultCount: 20 })).toEqual({ startIndex: 1, count: 20 });
    expect(normalizePaging({ count: 70 }, { maxResults: 50 })).toEqual({ startIndex: 1, count: 50 });
  });

  it.each([{ startIndex: 'abc' }, { count: '1.5' }, { count: {} }, { startIndex: '1; DROP' }])('rejects %j with invalidValue', (input) => {
    expect(() => normalizePaging(input)).toThrow(expect.objectContaining({ scimType: 'invalidValue', status: 400 }));
  });

  it('converts to OFFSET/LIMIT', () => {
    expect(pagingToOffset({ startIndex: 3, count: 2 })).toEqual({ offset: 2, limit: 2 });
  });
});

describe('buildListResponse (RFC 7644 §3.4.2)', () => {
  it('reports itemsPerPage as the page size', () => {
    expect(buildListResponse([{ id: 'a' }, { id: 'b' }], 5, { startIndex: 1 })).toEqual({
      schemas: [LIST_RESPONSE_SCHEMA],
      totalResults: 5,
      startIndex: 1,
      itemsPerPage: 2,
      Resources: [{ id: 'a' }, { id: 'b' }],
    });
    expect(buildListResponse([], 0, { startIndex: 1 }).Resources).toEqual([]);
  });
});

describe('ScimError and renderScimError (RFC 7644 §3.12)', () => {
  it('pairs scimType with status and a stable code', () => {
    const e = ScimError.uniqueness('userName "emp3" is taken');
    expect([e.status, e.scimType, e.code, e.detail]).toEqual([409, 'uniqueness', 'ERR_SCIM_UNIQUENESS', 'userName "emp3" is taken']);
    expect(ScimError.invalidFilter('x').code).toBe('ERR_SCIM_INVALID_FILTER');
    expect(ScimError.of('sensitive', 'x').status).toBe(403);
    expect(new ScimError(404, 'no such user').code).toBe('ERR_SCIM_STATUS_404');
  });

  it('renders the error JSON with the status as a string', () => {
    expect(renderScimError(ScimError.mutability('id is readOnly'))).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '400',
      scimType: 'mutability',
      detail: 'id is readOnly',
    });
    expect(renderScimError(new ScimError(404, 'no such user'))).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '404',
      detail: 'no such user',
    });
  });
});
