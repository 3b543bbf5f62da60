// A minimal reader of X.690 DER for the hot paths (CSR checks, SPKI recognition). It accepts
// only the distinguished encoding: definite, minimal lengths and low tag numbers. Whatever it
// does not accept is handed to the @peculiar parsers, which decide (and word the refusal).

/** One element: its tag, and where its contents start and end within the input. */
export interface DerElement {
  readonly tag: number;
  /** Offset of the tag octet. */
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

/** Reads the element at `offset`, or undefined unless it is DER and fits before `limit`. */
export function readElement(der: Uint8Array, offset: number, limit = der.length): DerElement | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = der[offset];
  if ((tag & 0x1f) === 0x1f) return undefined; // high tag numbers never occur here
  const first = der[offset + 1];
  let length: number;
  let contentStart: number;
  if (first < 0x80) {
    length = first;
    contentStart = offset + 2;
  } else {
    const octets = first & 0x7f;
    if (octets === 0 || octets > 3 || offset + 2 + octets > limit || der[offset + 2] === 0) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[offset + 2 + i];
    if (length < 0x80) return undefined;
    contentStart = offset + 2 + octets;
  }
  const end = contentStart + length;
  if (end > limit) return undefined;
  return { tag, start: offset, contentStart, end };
}

/** The children of a constructed element, which must tile its contents exactly. */
export function readChildren(der: Uint8Array, parent: DerElement, max = 64): DerElement[] | undefined {
  const children: DerElement[] = [];
  let at = parent.contentStart;
  while (at < parent.end) {
    if (children.length === max) return undefined;
    const child = readElement(der, at, parent.end);
    if (!child) return undefined;
    children.push(child);
    at = child.end;
  }
  return children;
}

export function contentsOf(der: Uint8Array, element: DerElement): Uint8Array {
  return der.subarray(element.contentStart, element.end);
}

export function bytesOf(der: Uint8Array, element: DerElement): Uint8Array {
  return der.subarray(element.start, element.end);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Whether `der[offset..]` starts with `prefix`. */
export function startsWith(der: Uint8Array, prefix: Uint8Array, offset = 0): boolean {
  if (der.length - offset < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (der[offset + i] !== prefix[i]) return false;
  return true;
}
