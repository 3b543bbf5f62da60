/**
 * Filter parser for RFC 7644 §3.4.2.2 (ABNF in Figure 1) and the PATCH path grammar of
 * §3.5.2.
 *
 * Precedence, highest first: grouping "()" and "[]", "not", "and", "or" (Table 4 order).
 * Attribute names and operators are case-insensitive. Anything outside the grammar is a
 * ScimError invalidFilter (invalidPath for PATCH paths) with a reason; input length and
 * nesting depth are bounded so hostile filters cannot exhaust the stack.
 */
import { ScimError } from '../errors.js';
import { splitAttrPath, type AttrPath } from './attr-path.js';
import { COMPARE_OPERATORS, type CompValue, type CompareOperator, type Filter, type PatchPath } from './ast.js';

export interface ParseFilterOptions {
  /** Longest filter accepted, in characters. Default 4096. */
  readonly maxLength?: number;
  /** Deepest nesting of "(", "[" and "not" accepted. Default 32. */
  readonly maxDepth?: number;
  /**
   * Accept a bare word as a string value (`userName sw O`, `meta.created gt 2015-10-10T14:38:21Z`),
   * as Microsoft's SCIM test collection sends. Not RFC 7644; off by default.
   */
  readonly allowUnquotedValues?: boolean;
}

const DEFAULT_MAX_LENGTH = 4096;
const DEFAULT_MAX_DEPTH = 32;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PATH_CHAR = /[A-Za-z0-9:._$-]/;
const DELIMITER = /[\s()[\]]/;

class FilterParser {
  pos = 0;
  private depth = 0;
  private readonly maxDepth: number;

  constructor(
    private readonly text: string,
    private readonly options: ParseFilterOptions,
    private readonly fail: (reason: string) => ScimError,
  ) {
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  }

  error(reason: string): ScimError {
    return this.fail(`${reason} at position ${this.pos}`);
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  peek(): string | undefined {
    this.skipSpace();
    return this.text[this.pos];
  }

  expect(char: string): void {
    if (this.peek() !== char) throw this.error(`expected "${char}"`);
    this.pos++;
  }

  /** The next run of attribute-path characters, without consuming it. */
  peekWord(): string {
    this.skipSpace();
    let end = this.pos;
    while (end < this.text.length && PATH_CHAR.test(this.text[end])) end++;
    return this.text.slice(this.pos, end);
  }

  /** Consume a keyword (case-insensitive) when it is the next whole word. */
  keyword(word: string): boolean {
    const next = this.peekWord();
    if (next.toLowerCase() !== word) return false;
    const after = this.text[this.pos + next.length];
    if (after !== undefined && !DELIMITER.test(after)) return false;
    this.pos += next.length;
    return true;
  }

  enter(): void {
    if (++this.depth > this.maxDepth) throw this.error(`nesting deeper than ${this.maxDepth}`);
  }

  leave(): void {
    this.depth--;
  }

  /** FILTER = or-expression; `inValuePath` forbids a nested "[" (valFilter has no valuePath). */
  parseOr(inValuePath: boolean): Filter {
    let left = this.parseAnd(inValuePath);
    while (this.keyword('or')) left = { kind: 'or', left, right: this.parseAnd(inValuePath) };
    return left;
  }

  parseAnd(inValuePath: boolean): Filter {
    let left = this.parseUnary(inValuePath);
    while (this.keyword('and')) left = { kind: 'and', left, right: this.parseUnary(inValuePath) };
    return left;
  }

  parseUnary(inValuePath: boolean): Filter {
    const start = this.pos;
    if (this.keyword('not')) {
      if (this.peek() === '(') {
        this.enter();
        this.pos++;
        const filter = this.parseOr(inValuePath);
        this.expect(')');
        this.leave();
        return { kind: 'not', filter };
      }
      this.pos = start; // an attribute that happens to be called "not"
    }
    if (this.peek() === '(') {
      this.enter();
      this.pos++;
      const inner = this.parseOr(inValuePath);
      this.expect(')');
      this.leave();
      return inner;
    }
    const path = this.parseAttrPath();
    if (this.text[this.pos] === '[') {
      if (inValuePath) throw this.error('a value filter cannot contain another value filter');
      return { kind: 'valuePath', path, filter: this.parseValueFilter(path) };
    }
    return this.parseAttrExpression(path);
  }

  /** "[" valFilter "]" right after an attribute path. */
  parseValueFilter(path: AttrPath): Filter {
    if (path.subAttr !== undefined) throw this.error('a value filter applies to an attribute, not a sub-attribute');
    this.enter();
    this.expect('[');
    const filter = this.parseOr(true);
    this.expect(']');
    this.leave();
    return filter;
  }

  parseAttrPath(): AttrPath {
    const word = this.peekWord();
    if (word === '') throw this.error('expected an attribute name');
    const path = splitAttrPath(word);
    if (!path) throw this.error(`invalid attribute name ${JSON.stringify(word)}`);
    this.pos += word.length;
    return path;
  }

  parseAttrExpression(path: AttrPath): Filter {
    if (!/^\s/.test(this.text[this.pos] ?? '')) throw this.error('expected a space and an operator after the attribute');
    const op = this.peekWord().toLowerCase();
    if (op === 'pr') {
      this.keyword('pr');
      return { kind: 'present', path };
    }
    if (!(COMPARE_OPERATORS as readonly string[]).includes(op) || !this.keyword(op)) {
      throw this.error(`unknown operator ${JSON.stringify(op || this.text.slice(this.pos, this.pos + 10))}`);
    }
    if (!/^\s/.test(this.text[this.pos] ?? '')) throw this.error('expected a space and a value after the operator');
    return { kind: 'compare', op: op as CompareOperator, path, value: this.parseCompValue() };
  }

  parseCompValue(): CompValue {
    const first = this.peek();
    if (first === undefined) throw this.error('expected a value');
    if (first === '"') return this.parseString();
    let end = this.pos;
    while (end < this.text.length && !DELIMITER.test(this.text[end])) end++;
    const word = this.text.slice(this.pos, end);
    const lower = word.toLowerCase();
    let value: CompValue;
    if (lower === 'true') value = true;
    else if (lower === 'false') value = false;
    else if (lower === 'null') value = null;
    else if (JSON_NUMBER.test(word)) {
      value = Number(word);
      if (!Number.isFinite(value)) throw this.error('number out of range');
    } else if (this.options.allowUnquotedValues && word !== '' && !word.includes('"')) value = word;
    else throw this.error(`expected a quoted string, number, true, false or null, not ${JSON.stringify(word.slice(0, 40))}`);
    this.pos = end;
    return value;
  }

  /** A JSON string (RFC 8259 §7): the same escapes, no raw control characters. */
  parseString(): string {
    const start = this.pos;
    let i = start + 1;
    for (;;) {
      if (i >= this.text.length) throw this.error('unterminated string');
      const c = this.text[i];
      if (c === '"') break;
      if (c === '\\') i++;
      i++;
    }
    const literal = this.text.slice(start, i + 1);
    try {
      const value: unknown = JSON.parse(literal);
      if (typeof value !== 'string') throw new TypeError('not a string');
      this.pos = i + 1;
      return value;
    } catch {
      throw this.error('invalid string literal (bad escape or control character)');
    }
  }
}

function checkLength(text: unknown, options: ParseFilterOptions, fail: (r: string) => ScimError): string {
  if (typeof text !== 'string') throw fail('the filter must be a string');
  const max = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (text.length > max) throw fail(`longer than ${max} characters`);
  return text;
}

/** Parse a "filter" parameter (RFC 7644 §3.4.2.2). Throws ScimError invalidFilter. */
export function parseFilter(text: string, options: ParseFilterOptions = {}): Filter {
  const fail = (reason: string) => ScimError.invalidFilter(`invalid filter: ${reason}`);
  const parser = new FilterParser(checkLength(text, options, fail), options, fail);
  if (parser.atEnd()) throw fail('empty filter');
  const filter = parser.parseOr(false);
  if (!parser.atEnd()) throw parser.error('unexpected text after the filter');
  return filter;
}

/**
 * Parse a PATCH "path" (RFC 7644 §3.5.2): attrPath, or valuePath optionally followed by
 * ".subAttr". Throws ScimError invalidPath for a malformed path or filter (§3.5.2 reports
 * path errors as invalidPath; Table 9 reserves invalidFilter for the filter parameter).
 */
export function parsePatchPath(text: string, options: ParseFilterOptions = {}): PatchPath {
  const fail = (reason: string) => ScimError.invalidPath(`invalid path: ${reason}`);
  const source = checkLength(text, options, fail).trim();
  const parser = new FilterParser(source, options, fail);
  if (parser.atEnd()) throw fail('empty path');
  const path = parser.parseAttrPath();
  if (parser.atEnd()) return { path };
  if (source[parser.pos] !== '[') throw parser.error('unexpected text after the attribute');
  const filter = parser.parseValueFilter(path);
  if (parser.atEnd()) return { path, filter };
  if (source[parser.pos] !== '.') throw parser.error('unexpected text after the value filter');
  parser.pos++;
  const sub = parser.peekWord();
  const subPath = splitAttrPath(sub);
  if (!subPath || subPath.uri !== undefined || subPath.subAttr !== undefined) throw parser.error('invalid sub-attribute name');
  parser.pos += sub.length;
  if (!parser.atEnd()) throw parser.error('unexpected text after the sub-attribute');
  return { path, filter, subAttr: subPath.name };
}
