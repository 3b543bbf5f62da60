/**
 * Compiles a filter (RFC 7644 §3.4.2.2) to a parameterised PostgreSQL condition.
 *
 * Security property: every value from the filter becomes a $n parameter; SQL text comes only
 * from this file and from the caller's attribute map (trusted configuration). Attributes
 * the map does not list are invalidFilter, so a filter can only touch what the app exposes.
 * The semantics match evaluate.ts (case-insensitive strings via lower(), "any value" for
 * multi-valued attributes, "ne" as the negation of "eq").
 */
import { ScimError } from '../errors.js';
import { formatAttrPath, splitAttrPath, type AttrPath } from './attr-path.js';
import type { CompValue, CompareOperator, Filter } from './ast.js';
import { expectedValue } from './evaluate.js';
import { normalizeDateTime } from '../schema/date-time.js';

export type SqlValueType = 'string' | 'boolean' | 'number' | 'timestamp';

/** A single-valued attribute held in a column (or any SQL expression over the row). */
export interface SqlColumn {
  /** SQL expression, e.g. "a.user_name". */
  readonly column: string;
  readonly type: SqlValueType;
  /** Compare strings exactly; by default both sides go through lower() (RFC 7643 caseExact false). */
  readonly caseExact?: boolean;
  /**
   * For a multi-valued attribute stored in another table: an EXISTS(...) template with one
   * "{where}" where the condition on `column` goes, e.g.
   * "EXISTS (SELECT 1 FROM scim_group_member m WHERE m.group_id = g.id AND {where})".
   */
  readonly exists?: string;
}

/** A multi-valued complex attribute held as a jsonb array of objects (e.g. emails). */
export interface SqlJsonArray {
  /** SQL expression of the jsonb column, e.g. "a.emails". */
  readonly jsonArray: string;
  /** Sub-attributes that may be filtered on, by canonical name. Timestamps are not supported in jsonb. */
  readonly subAttributes: Readonly<Record<string, { readonly type: Exclude<SqlValueType, 'timestamp'>; readonly caseExact?: boolean }>>;
}

/**
 * Filterable attributes by canonical path: "userName", "name.familyName", "meta.lastModified",
 * "emails" (a SqlJsonArray), "members.value", "urn:...:enterprise:2.0:User:employeeNumber".
 * Lookup is case-insensitive.
 */
export type SqlAttributeMap = Readonly<Record<string, SqlColumn | SqlJsonArray>>;

export interface CompileFilterOptions {
  readonly attributes: SqlAttributeMap;
  /** The resource type's core schema URN: "urn:...:core:2.0:User:userName" then finds "userName". */
  readonly coreSchema?: string;
  /** Parameters the caller already uses; the first placeholder is $(paramOffset + 1). Default 0. */
  readonly paramOffset?: number;
}

export interface SqlCondition {
  readonly where: string;
  readonly params: unknown[];
}

const SQL_TYPE_AS_SCIM = { string: 'string', boolean: 'boolean', number: 'decimal', timestamp: 'dateTime' } as const;

type Target = { readonly kind: 'column'; readonly spec: SqlColumn } | { readonly kind: 'array'; readonly spec: SqlJsonArray; readonly sub?: string };

function isJsonArray(spec: SqlColumn | SqlJsonArray): spec is SqlJsonArray {
  return 'jsonArray' in spec;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Scope of a leaf: the row, one jsonb element (inside "[...]"), or a valuePath over columns. */
type Scope =
  | { readonly kind: 'row' }
  | { readonly kind: 'element'; readonly alias: string; readonly spec: SqlJsonArray; readonly attribute: string }
  | { readonly kind: 'columns'; readonly attribute: string; readonly templates: Set<string> };

class SqlCompiler {
  readonly params: unknown[] = [];
  private aliases = 0;
  private readonly map = new Map<string, SqlColumn | SqlJsonArray>();
  private readonly arrayKeys = new Map<SqlJsonArray, Map<string, string>>();

  constructor(private readonly options: CompileFilterOptions) {
    for (const [key, spec] of Object.entries(options.attributes)) {
      if (!isJsonArray(spec) && spec.exists !== undefined && spec.exists.split('{where}').length !== 2) {
        throw new TypeError(`attribute map: the exists template of ${key} needs exactly one {where}`);
      }
      this.map.set(key.toLowerCase(), spec);
      if (isJsonArray(spec)) {
        this.arrayKeys.set(spec, new Map(Object.keys(spec.subAttributes).map((k) => [k.toLowerCase(), k])));
      }
    }
  }

  param(value: unknown, cast = ''): string {
    this.params.push(value);
    return `$${(this.options.paramOffset ?? 0) + this.params.length}${cast}`;
  }

  private key(path: AttrPath, withSub: boolean): string {
    const core = this.options.coreSchema?.toLowerCase();
    const uri = path.uri !== undefined && path.uri.toLowerCase() !== core ? `${path.uri}:` : '';
    return `${uri}${path.name}${withSub && path.subAttr !== undefined ? `.${path.subAttr}` : ''}`.toLowerCase();
  }

  private unknown(path: AttrPath): ScimError {
    return ScimError.invalidFilter(`invalid filter: cannot filter on ${JSON.stringify(formatAttrPath(path)).slice(0, 200)}`);
  }

  private subKey(spec: SqlJsonArray, name: string, path: AttrPath): string {
    const canonical = this.arrayKeys.get(spec)?.get(name.toLowerCase());
    if (canonical === undefined) throw this.unknown(path);
    return canonical;
  }

  /** The mapping of a path at row level. */
  target(path: AttrPath): Target {
    const exact = this.map.get(this.key(path, true));
    if (exact) return isJsonArray(exact) ? { kind: 'array', spec: exact } : { kind: 'column', spec: exact };
    if (path.subAttr !== undefined) {
      const parent = this.map.get(this.key(path, false));
      if (parent && isJsonArray(parent)) return { kind: 'array', spec: parent, sub: this.subKey(parent, path.subAttr, path) };
    }
    throw this.unknown(path);
  }

  private newAlias(): string {
    return `scim_e${++this.aliases}`;
  }

  private elements(spec: SqlJsonArray, alias: string, condition: string): string {
    const array = `CASE WHEN jsonb_typeof(${spec.jsonArray}) = 'array' THEN ${spec.jsonArray} ELSE '[]'::jsonb END`;
    return `EXISTS (SELECT 1 FROM jsonb_array_elements(${array}) AS ${alias}(v) WHERE ${condition})`;
  }

  /** A comparison on a SQL expression of a known type; never "ne" (handled as NOT eq). */
  private compareExpr(expr: string, type: SqlValueType, caseExact: boolean, op: CompareOperator, value: CompValue, name: string): string {
    const expected = expectedValue(SQL_TYPE_AS_SCIM[type], op, value, name);
    switch (expected.kind) {
      case 'null':
        return `${expr} IS NULL`;
      case 'boolean':
        return `${expr} = ${this.param(expected.value)}`;
      case 'number':
        return `${expr} ${SQL_OPERATOR[op]} ${this.param(expected.value)}`;
      case 'dateTime':
        return `${expr} ${SQL_OPERATOR[op]} ${this.param(normalizeDateTime(expected.text), '::timestamptz')}`;
      case 'string': {
        // PostgreSQL text cannot hold U+0000: no stored value can match, and binding it would fail the query.
        if (expected.value.includes('\u0000')) throw ScimError.invalidFilter(`invalid filter: ${name}: U+0000 in a value`);
        const fold = (sql: string) => (caseExact ? sql : `lower(${sql})`);
        if (op === 'co' || op === 'sw' || op === 'ew') {
          const pattern = `${op === 'sw' ? '' : '%'}${escapeLike(expected.value)}${op === 'ew' ? '' : '%'}`;
          return `${fold(type === 'string' ? expr : `${expr}::text`)} LIKE ${fold(this.param(pattern, '::text'))} ESCAPE '\\'`;
        }
        return `${fold(expr)} ${SQL_OPERATOR[op]} ${fold(this.param(expected.value, '::text'))}`;
      }
    }
  }

  /** Condition on one element of a jsonb array for a sub-attribute. */
  private compareElement(alias: string, spec: SqlJsonArray, sub: string, op: CompareOperator, value: CompValue, name: string): string {
    const { type, caseExact = false } = spec.subAttributes[sub];
    const key = this.param(sub, '::text');
    const text = `(${alias}.v->>${key})`;
    if (value === null) return this.compareExpr(text, 'string', true, op, null, name);
    const expected = expectedValue(SQL_TYPE_AS_SCIM[type], op, value, name);
    if (expected.kind === 'boolean') return `(${alias}.v->${key}) = to_jsonb(${this.param(expected.value, '::boolean')})`;
    if (expected.kind === 'number') {
      // A cast of a non-number would abort the whole query; such elements simply do not match.
      const numeric = `(CASE WHEN jsonb_typeof(${alias}.v->${key}) = 'number' THEN ${text}::numeric END)`;
      return `${numeric} ${SQL_OPERATOR[op]} ${this.param(expected.value, '::numeric')}`;
    }
    return this.compareExpr(text, 'string', caseExact, op, value, name);
  }

  private presentElement(alias: string, sub: string): string {
    const key = this.param(sub, '::text');
    return `(jsonb_typeof(${alias}.v->${key}) <> 'null' AND (${alias}.v->>${key}) <> '')`;
  }

  private negate(condition: string): string {
    return `NOT COALESCE(${condition}, false)`;
  }

  private wrapColumn(spec: SqlColumn, condition: string, scope: Scope): string {
    if (spec.exists === undefined) return condition;
    if (scope.kind === 'columns') {
      scope.templates.add(spec.exists);
      return condition;
    }
    return spec.exists.replace('{where}', `(${condition})`);
  }

  private leafTarget(path: AttrPath, scope: Scope): Target | { kind: 'element'; sub: string } {
    if (scope.kind === 'row') return this.target(path);
    if (path.uri !== undefined || path.subAttr !== undefined) throw this.unknown(path);
    if (scope.kind === 'element') return { kind: 'element', sub: this.subKey(scope.spec, path.name, path) };
    const target = this.target({ name: scope.attribute, subAttr: path.name });
    if (target.kind !== 'column') throw this.unknown(path);
    return target;
  }

  compile(filter: Filter, scope: Scope): string {
    switch (filter.kind) {
      case 'and':
      case 'or':
        return `(${this.compile(filter.left, scope)} ${filter.kind.toUpperCase()} ${this.compile(filter.right, scope)})`;
      case 'not':
        return this.negate(this.compile(filter.filter, scope));
      case 'present':
        return this.present(filter.path, scope);
      case 'compare': {
        const op = filter.op === 'ne' ? 'eq' : filter.op;
        const condition = this.compare(filter.path, op, filter.value, scope);
        return filter.op === 'ne' ? this.negate(condition) : condition;
      }
      case 'valuePath':
        return this.valuePath(filter.path, filter.filter, scope);
    }
  }

  private present(path: AttrPath, scope: Scope): string {
    const target = this.leafTarget(path, scope);
    if (target.kind === 'element') {
      if (scope.kind !== 'element') throw this.unknown(path);
      return this.presentElement(scope.alias, target.sub);
    }
    if (target.kind === 'array') {
      if (target.sub === undefined) {
        return `(jsonb_typeof(${target.spec.jsonArray}) = 'array' AND jsonb_array_length(${target.spec.jsonArray}) > 0)`;
      }
      const alias = this.newAlias();
      return this.elements(target.spec, alias, this.presentElement(alias, target.sub));
    }
    const { column, type } = target.spec;
    const condition = type === 'string' ? `(${column} IS NOT NULL AND ${column} <> '')` : `${column} IS NOT NULL`;
    return this.wrapColumn(target.spec, condition, scope);
  }

  private compare(path: AttrPath, op: CompareOperator, value: CompValue, scope: Scope): string {
    const name = formatAttrPath(path);
    const target = this.leafTarget(path, scope);
    if (target.kind === 'element') {
      if (scope.kind !== 'element') throw this.unknown(path);
      return this.compareElement(scope.alias, scope.spec, target.sub, op, value, name);
    }
    if (target.kind === 'array') {
      // RFC 7644 §3.4.2.2: a multi-valued complex attribute without a sub-attribute compares its "value".
      const sub = target.sub ?? this.subKey(target.spec, 'value', path);
      const alias = this.newAlias();
      return this.elements(target.spec, alias, this.compareElement(alias, target.spec, sub, op, value, name));
    }
    const { column, type, caseExact = false } = target.spec;
    return this.wrapColumn(target.spec, this.compareExpr(column, type, caseExact, op, value, name), scope);
  }

  private valuePath(path: AttrPath, inner: Filter, scope: Scope): string {
    if (scope.kind !== 'row' || path.subAttr !== undefined) throw this.unknown(path);
    const spec = this.map.get(this.key(path, false));
    if (spec && isJsonArray(spec)) {
      const alias = this.newAlias();
      return this.elements(spec, alias, this.compile(inner, { kind: 'element', alias, spec, attribute: path.name }));
    }
    // Sub-attributes in their own table: one EXISTS around the whole inner filter keeps
    // "the same value" semantics (members[value eq "x" and type eq "User"]).
    const columns: Scope = { kind: 'columns', attribute: path.uri !== undefined ? `${path.uri}:${path.name}` : path.name, templates: new Set() };
    const condition = this.compile(inner, columns);
    if (columns.templates.size > 1) {
      throw ScimError.invalidFilter(`invalid filter: ${formatAttrPath(path)}[...] mixes sub-attributes stored apart`);
    }
    const [template] = columns.templates;
    return template === undefined ? condition : template.replace('{where}', `(${condition})`);
  }
}

const SQL_OPERATOR: Readonly<Record<CompareOperator, string>> = {
  eq: '=',
  ne: '<>',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
  co: 'LIKE',
  sw: 'LIKE',
  ew: 'LIKE',
};

/** Compile a parsed filter to `{ where, params }`. Throws ScimError invalidFilter. */
export function filterToSql(filter: Filter, options: CompileFilterOptions): SqlCondition {
  const compiler = new SqlCompiler(options);
  const where = compiler.compile(filter, { kind: 'row' });
  return { where, params: compiler.params };
}

/**
 * ORDER BY for sortBy/sortOrder (RFC 7644 §3.4.2.3); only single-valued column attributes
 * sort. Returns undefined when sortBy is absent. Throws ScimError invalidValue otherwise.
 */
export function sortToSql(sortBy: string | undefined, sortOrder: string | undefined, options: CompileFilterOptions): string | undefined {
  if (sortBy === undefined || sortBy === '') return undefined;
  const order = sortOrder === undefined || sortOrder === '' ? 'ascending' : sortOrder.toLowerCase();
  if (order !== 'ascending' && order !== 'descending') {
    throw ScimError.invalidValue('sortOrder must be "ascending" or "descending"');
  }
  const path = splitAttrPath(sortBy);
  const compiler = new SqlCompiler(options);
  let target: Target | undefined;
  try {
    target = path ? compiler.target(path) : undefined;
  } catch {
    target = undefined;
  }
  if (!target || target.kind !== 'column' || target.spec.exists !== undefined) {
    throw ScimError.invalidValue(`cannot sort by ${JSON.stringify(sortBy).slice(0, 200)}`);
  }
  const { column, type, caseExact } = target.spec;
  const expr = type === 'string' && !caseExact ? `lower(${column})` : column;
  // RFC 7644 §3.4.2.3: resources without the attribute sort last ascending, first descending.
  return order === 'ascending' ? `${expr} ASC NULLS LAST` : `${expr} DESC NULLS FIRST`;
}
