// A local ESLint rule: a file of a service module may reach another module only through that
// module's public surface (`<module>/index.js`). `no-restricted-imports` matches import strings,
// not resolved paths, so it cannot tell `../claims/x.js` inside enrollment (fine) from
// `../certificates/ca.service.js` (a reach into another module) at every nesting depth.
import path from 'node:path';

/** @type {import('eslint').Rule.RuleModule} */
export const moduleBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Import another service module only through its index.js' },
    schema: [
      {
        type: 'object',
        properties: {
          // Folder (relative to the working directory) whose direct subfolders are the modules.
          root: { type: 'string' },
          // Modules that are a shared kernel, importable by any path.
          shared: { type: 'array', items: { type: 'string' } },
          // Module → the modules it may import (docs/architecture.md). Modules not listed are unchecked.
          allowed: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
        },
        required: ['root'],
        additionalProperties: false,
      },
    ],
    messages: {
      internal: "'{{from}}' reaches into module '{{to}}': import '{{suggestion}}' (its public surface) instead.",
      direction: "'{{from}}' may not depend on '{{to}}' (dependency graph in docs/architecture.md).",
    },
  },
  create(context) {
    const { root, shared = [], allowed } = context.options[0];
    const rootDir = path.resolve(context.cwd, root);
    const moduleOf = (file) => {
      const rel = path.relative(rootDir, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
      const parts = rel.split(path.sep);
      // Files directly in the root (app.module.ts, main.ts, ...) are the composition root, not a module.
      return parts.length > 1 ? { name: parts[0], rest: parts.slice(1).join('/') } : undefined;
    };
    const self = moduleOf(context.filename);
    if (!self) return {};

    const check = (node) => {
      const spec = node?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = moduleOf(path.resolve(path.dirname(context.filename), spec));
      if (!target || target.name === self.name || shared.includes(target.name)) return;
      const permitted = allowed?.[self.name];
      if (permitted && !permitted.includes(target.name)) {
        context.report({ node, messageId: 'direction', data: { from: self.name, to: target.name } });
        return;
      }
      if (/^index\.(js|ts)$/.test(target.rest)) return;
      const suggestion = path.relative(path.dirname(context.filename), path.join(rootDir, target.name, 'index.js'));
      context.report({ node, messageId: 'internal', data: { from: self.name, to: target.name, suggestion } });
    };
    return {
      ImportDeclaration: (n) => check(n.source),
      ExportNamedDeclaration: (n) => check(n.source),
      ExportAllDeclaration: (n) => check(n.source),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n.source),
    };
  },
};
