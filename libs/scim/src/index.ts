/**
 * SCIM 2.0 (RFC 7643, RFC 7644) without I/O: schemas, filters, PATCH, errors, list responses.
 * See README.md for the map from files to RFC sections.
 */
export { ScimError, renderScimError, SCIM_ERROR_SCHEMA, SCIM_TYPE_STATUS } from './errors.js';
export type { ScimType, ScimErrorCode, ScimErrorBody } from './errors.js';

export { loadScimSchemas, readSchemaDocument, readResourceTypeDocument, ScimSchemaDocumentError } from './schema/definitions.js';
export type {
  AttributeDefinition,
  AttributeType,
  Mutability,
  Returned,
  Uniqueness,
  SchemaDefinition,
  ResourceTypeDefinition,
  ScimSchemas,
} from './schema/definitions.js';
export { ResourceSchema } from './schema/resource-schema.js';
export type { ResolvedPath, SchemaInResource } from './schema/resource-schema.js';
export { validateResourceInput } from './schema/validate-resource.js';
export type { ValidateResourceOptions } from './schema/validate-resource.js';
export { shapeResource } from './schema/shape-output.js';
export type { AttributeSelection } from './schema/shape-output.js';
export { isJsonObject } from './schema/coerce-value.js';
export type { JsonObject } from './schema/coerce-value.js';
export { parseDateTime } from './schema/date-time.js';

export type { AttrPath } from './filter/attr-path.js';
export type { Filter, CompareOperator, CompValue, PatchPath } from './filter/ast.js';
export { parseFilter, parsePatchPath } from './filter/parse.js';
export type { ParseFilterOptions } from './filter/parse.js';
export { evaluateFilter, evaluateValueFilter } from './filter/evaluate.js';
export { filterToSql, sortToSql } from './filter/to-sql.js';
export type { SqlAttributeMap, SqlColumn, SqlJsonArray, SqlValueType, CompileFilterOptions, SqlCondition } from './filter/to-sql.js';

export { parsePatchRequest, PATCH_OP_SCHEMA } from './patch/patch-request.js';
export type { PatchOperation, PatchOpName, ParsePatchOptions } from './patch/patch-request.js';
export { applyPatch } from './patch/apply-patch.js';
export type { PatchResult } from './patch/apply-patch.js';
export { summarizeChanges } from './change-summary.js';
export type { ResourceChanges } from './change-summary.js';

export { normalizePaging, pagingToOffset, buildListResponse, LIST_RESPONSE_SCHEMA } from './list-response.js';
export type { Paging, PagingOptions, ListResponse } from './list-response.js';
