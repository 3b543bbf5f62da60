/** How the org of a cross-origin route is found: its slug in the path, or the org of an id in it. */
export type OrgOfRoute = { slug: string } | { enrollmentId: string } | { deviceId: string };

export interface CorsRoute {
  /** Methods a browser app may use on the route (what a preflight allows). */
  methods: readonly string[];
  org: OrgOfRoute;
}

const PATTERNS: { pattern: RegExp; methods: readonly string[]; org: (m: RegExpExecArray) => OrgOfRoute }[] = [
  { pattern: /^\/v1\/orgs\/([^/]+)\/enrollments$/, methods: ['POST'], org: (m) => ({ slug: m[1]! }) },
  { pattern: /^\/v1\/orgs\/([^/]+)\/devices\/[^/]+\/reauthenticate$/, methods: ['POST'], org: (m) => ({ slug: m[1]! }) },
  // Status and poll of an enrollment (not /activate or /callback: those are pages a person opens).
  { pattern: /^\/v1\/enrollments\/([0-9a-fA-F-]{36})$/, methods: ['GET'], org: (m) => ({ enrollmentId: m[1]! }) },
  { pattern: /^\/v1\/enrollments\/([0-9a-fA-F-]{36})\/poll$/, methods: ['POST'], org: (m) => ({ enrollmentId: m[1]! }) },
  { pattern: /^\/v1\/devices\/([0-9a-fA-F-]{36})\/certificate\/renew$/, methods: ['POST'], org: (m) => ({ deviceId: m[1]! }) },
  { pattern: /^\/kt\/([^/]+)\/.+$/, methods: ['GET'], org: (m) => ({ slug: m[1]! }) },
];

/**
 * The routes browser apps may call cross-origin (issue 13 §8), by request path (query removed).
 * Everything else gets no CORS headers, so browsers keep other origins out as by default.
 */
export function corsRouteOf(path: string): CorsRoute | undefined {
  for (const { pattern, methods, org } of PATTERNS) {
    const match = pattern.exec(path);
    if (match) return { methods, org: org(match) };
  }
  return undefined;
}
