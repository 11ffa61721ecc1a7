/**
 * Go compares strings byte-wise (UTF-8). JS `<` compares UTF-16 code units, which differs for
 * characters above U+FFFF against U+E000–U+FFFF, so compare by code point.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

export function compareBytesDesc(a: string, b: string): number {
  return compareBytes(b, a);
}
