import { isUtf8 } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import {
  checkManifestText,
  decodeManifestBytes,
  INPUT_LIMITS,
  invalidUtf8Offset,
  quote,
  scanManifest,
} from "../../src/api/input-limits.js";

describe("input limits", () => {
  it("finds the first byte that is not UTF-8, agreeing with Node's decoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const at = invalidUtf8Offset(bytes);
        expect(at === bytes.length).toBe(isUtf8(bytes));
        expect(isUtf8(bytes.subarray(0, at))).toBe(true);
      }),
      { seed: 11, numRuns: 5000 },
    );
    // Overlongs, surrogates and code points past U+10FFFF, which a lax scan lets through.
    for (const bad of [
      [0xc0, 0xaf],
      [0xe0, 0x80, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      expect(invalidUtf8Offset(Uint8Array.from([0x61, ...bad]))).toBe(1);
    }
    expect(invalidUtf8Offset(Buffer.from("héllo ✓ 😀"))).toBe(Buffer.byteLength("héllo ✓ 😀"));
  });

  it("numbers documents as yaml does, with their UTF-8 size", () => {
    const parts = fc.constantFrom(
      "a: 1\n",
      "# c\n",
      "---\n",
      "--- \n",
      "b: ÿ😀\n",
      "\n",
      "s: '---'\n",
      "x: |\n  ---x\n",
    );
    fc.assert(
      fc.property(fc.array(parts, { maxLength: 12 }), (chunks) => {
        const text = chunks.join("");
        const docs = parseAllDocuments(text);
        const expected = Array.isArray(docs) ? docs.length : 0;
        const scan = scanManifest(text);
        if (expected > 0) expect(scan.documents.length).toBe(expected);
        expect(scan.documents.reduce((n, d) => n + d.bytes, 0)).toBe(Buffer.byteLength(text));
      }),
      { seed: 7, numRuns: 3000 },
    );
  });

  it("counts flow nesting outside quotes and comments only", () => {
    const deep = `${"[".repeat(INPUT_LIMITS.depth + 1)}${"]".repeat(INPUT_LIMITS.depth + 1)}`;
    expect(checkManifestText(`a: ${deep}\n`)).toEqual([
      { document: 1, line: 1, message: "nesting deeper than 64 levels" },
    ]);
    expect(checkManifestText(`a: '${deep}'\nb: "${deep}"\n# ${deep}\nc: x${"[".repeat(100)}\n`)).toEqual([]);
    // An apostrophe inside a plain scalar does not open a quote that would hide what follows.
    expect(checkManifestText(`a: it's\nb: ${deep}\n`)).toHaveLength(1);
  });

  it("names the document, line and byte offset of invalid UTF-8", () => {
    const bytes = Buffer.concat([
      Buffer.from('a: 1\n---\nb: ok\nc: "'),
      Buffer.from([0xff]),
      Buffer.from('"\n'),
    ]);
    expect(decodeManifestBytes(bytes).problem).toEqual({
      document: 2,
      line: 4,
      message: "invalid UTF-8 at byte offset 19 (byte 0xff); save the file as UTF-8",
    });
    expect(decodeManifestBytes(Buffer.from("a: ✓\n")).text).toBe("a: ✓\n");
  });

  it("quotes long values clipped, with their length", () => {
    expect(quote("short")).toBe('"short"');
    const q = quote("x".repeat(10_000));
    expect(q).toBe(`"${"x".repeat(64)}…" (10000 characters)`);
  });
});
