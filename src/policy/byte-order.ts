/**
 * Go string order: byte-wise over UTF-8. JS `<` compares UTF-16 code units, which
 * differs from UTF-8 byte order only when one side is a surrogate (U+10000 and up)
 * and the other a BMP char at U+E000 or above; this fixes exactly that case instead of
 * encoding every string. Lone surrogates (not valid UTF-8) sort by the same rule.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return utf8Rank(x) < utf8Rank(y) ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Surrogates encode code points above U+FFFF, whose UTF-8 bytes sort after U+E000–U+FFFF. */
function utf8Rank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
