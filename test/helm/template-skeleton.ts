import { loadAll } from 'js-yaml';

/**
 * The literal YAML structure of a Helm template, without Helm.
 *
 * No helm binary is available here, so instead of rendering we keep what a template states
 * literally and make every Go-template action inert:
 * - a line made only of actions (`{{- if ... }}`, `{{- end }}`, `{{- toYaml . | nindent 8 }}`)
 *   disappears, except `include "<named template>"`, which is replaced by that template's own
 *   skeleton at the indentation its `nindent`/`indent` asks for (or the line's own);
 * - an action inside a line (`replicas: {{ .Values.replicaCount }}`) becomes a token
 *   `__TPL_<n>__`, the same for the same action text, and `expressionsIn()` gives that text back.
 * Both branches of an if/else survive, so templates avoid repeating a key in both branches.
 */

const COMMENT = /\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g;
const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
const ONLY_ACTIONS = /^\s*(\{\{[\s\S]*?\}\}\s*)+$/;
const INCLUDE = /^include\s+"([^"]+)"\s+\S+\s*(?:\|\s*(n?indent)\s+(\d+))?/;
const TOKEN = /__TPL_(\d+)__/g;

export interface NamedTemplates {
  readonly [name: string]: string;
}

export function stripComments(text: string): string {
  return text.replace(COMMENT, '');
}

/** The action expressions of a template, in order, without delimiters or trim markers. */
export function actionsOf(text: string): string[] {
  return [...stripComments(text).matchAll(ACTION)].map((m) => m[1]!);
}

/** `{{ define "name" }}...{{ end }}` bodies, found by matching block actions with their `end`. */
export function namedTemplates(helpers: string): NamedTemplates {
  const text = stripComments(helpers);
  const found: Record<string, string> = {};
  const open: { keyword: string; name?: string; bodyStart: number }[] = [];
  for (const m of text.matchAll(ACTION)) {
    const expr = m[1]!;
    const keyword = /^(\w+)/.exec(expr)?.[1];
    if (keyword === 'define') {
      const name = /^define\s+"([^"]+)"/.exec(expr)?.[1];
      if (!name) throw new Error(`unnamed define: ${expr}`);
      open.push({ keyword, name, bodyStart: m.index + m[0].length });
    } else if (keyword === 'if' || keyword === 'with' || keyword === 'range' || keyword === 'block') {
      open.push({ keyword, bodyStart: m.index + m[0].length });
    } else if (keyword === 'end') {
      const block = open.pop();
      if (!block) throw new Error(`unbalanced end at offset ${m.index}`);
      if (block.keyword === 'define') found[block.name!] = text.slice(block.bodyStart, m.index).replace(/^\s*\n/, '').trimEnd();
    }
  }
  if (open.length > 0) throw new Error(`unclosed ${open.map((b) => b.keyword).join(', ')}`);
  return found;
}

export class TemplateSkeleton {
  private readonly expressions: string[] = [];

  constructor(private readonly named: NamedTemplates) {}

  /** The skeleton YAML text of a template. */
  text(template: string, depth = 0): string {
    if (depth > 10) throw new Error('include nesting too deep');
    const out: string[] = [];
    for (const line of stripComments(template).split('\n')) {
      if (!ONLY_ACTIONS.test(line)) {
        out.push(line.replace(ACTION, (_all, expr: string) => this.token(expr)));
        continue;
      }
      const lineIndent = /^\s*/.exec(line)![0].length;
      for (const m of line.matchAll(ACTION)) {
        const include = INCLUDE.exec(m[1]!);
        if (!include || !(include[1]! in this.named)) continue;
        const indent = include[3] === undefined ? lineIndent : Number(include[3]);
        const body = this.text(this.named[include[1]!]!, depth + 1);
        out.push(...body.split('\n').filter((l) => l.trim() !== '').map((l) => ' '.repeat(indent) + l));
      }
    }
    return out.join('\n');
  }

  /** The YAML documents a template states literally. */
  documents(template: string): Record<string, unknown>[] {
    return (loadAll(this.text(template)) as unknown[]).filter(
      (d): d is Record<string, unknown> => d !== null && typeof d === 'object',
    );
  }

  /** The action expressions behind the tokens in a skeleton value. */
  expressionsIn(value: unknown): string[] {
    if (typeof value !== 'string') return [];
    return [...value.matchAll(TOKEN)].map((m) => this.expressions[Number(m[1])]!);
  }

  /** Equal actions get equal tokens, so that skeletons can be compared with each other. */
  private token(expr: string): string {
    let n = this.expressions.indexOf(expr);
    if (n < 0) n = this.expressions.push(expr) - 1;
    return `__TPL_${n}__`;
  }
}
