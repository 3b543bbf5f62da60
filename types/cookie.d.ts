// The `cookie` package (0.7) ships no types and @types/cookie is not a dependency: the two functions used.
declare module 'cookie' {
  export interface SerializeOptions {
    httpOnly?: boolean;
    secure?: boolean;
    sameSite?: 'lax' | 'strict' | 'none';
    path?: string;
    maxAge?: number;
  }
  export function parse(header: string): Record<string, string | undefined>;
  export function serialize(name: string, value: string, options?: SerializeOptions): string;
}
