import {
  buildListResponse,
  filterToSql,
  normalizePaging,
  pagingToOffset,
  parseFilter,
  sortToSql,
  type JsonObject,
  type ListResponse,
  type ResourceSchema,
  type SqlAttributeMap,
} from '#scim';
import type { ListParams } from './scim-request.js';

/** ServiceProviderConfig filter.maxResults: the most resources one list answer holds. */
export const MAX_RESULTS = 200;

/** The SQL condition and order of a list request (RFC 7644 §3.4.2.2 filter, §3.4.2.3 sort). */
export function listQuery(params: ListParams, schema: ResourceSchema, attributes: SqlAttributeMap) {
  const options = { attributes, coreSchema: schema.core.schema.id };
  // Entra sends unquoted values (userName eq O): accepted, still parameterised.
  const condition =
    params.filter !== undefined ? filterToSql(parseFilter(params.filter, { allowUnquotedValues: true }), { ...options, paramOffset: 1 }) : undefined;
  return { where: condition?.where, params: condition?.params, orderBy: sortToSql(params.sortBy, params.sortOrder, options) };
}

/** A ListResponse (RFC 7644 §3.4.2) from one SQL-level window of the results. */
export async function pagedList(
  params: ListParams,
  window: (offset: number, limit: number) => Promise<{ total: number; resources: JsonObject[] }>,
): Promise<ListResponse<JsonObject>> {
  const paging = normalizePaging(params, { maxResults: MAX_RESULTS });
  const { offset, limit } = pagingToOffset(paging);
  const { total, resources } = await window(offset, limit);
  return buildListResponse(resources, total, paging);
}
