import { describe, expect, it } from "vitest";
import { TagLineDecoder } from "../../src/cli/policy-test-lines.js";

/** The rules on the whole text at once: the reference the chunked decoder must equal. */
function wholeText(bytes: Buffer): string[] {
  const tags: string[] = [];
  for (let line of bytes.toString("utf8").split("\n")) {
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "" || ((line[0] === " " || line[0] === "\t") && line.trim() === "")) continue;
    tags.push(line);
  }
  return tags;
}

function chunked(bytes: Buffer, chunkSize: number, bufferSize: number): { tags: string[]; ascii: boolean[] } {
  const tags: string[] = [];
  const ascii: boolean[] = [];
  const decoder = new TagLineDecoder((tag, isAscii) => {
    tags.push(tag);
    ascii.push(isAscii);
  }, bufferSize);
  for (let off = 0; off < bytes.length; off += chunkSize) decoder.push(bytes.subarray(off, off + chunkSize));
  decoder.end();
  return { tags, ascii };
}

const SAMPLES: [string, Buffer][] = [
  ["CRLF, blank and whitespace-only lines", Buffer.from("a\r\n\r\n  \n\t\nb\r\r\n \u00a0 \n x\nc")],
  ["multi-byte characters across chunk edges", Buffer.from("é-1\n😀\nß\n\u212a\nmain-1\n")],
  [
    "BOM and malformed UTF-8",
    Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from("v1\n\xff-x\n"),
      Buffer.from([0xc3, 0x0a, 0x61, 0xe2, 0x82]),
    ]),
  ],
  ["a line longer than the buffer", Buffer.from(`${"x".repeat(5000)}\nshort\n${"y".repeat(3000)}`)],
  ["only newlines", Buffer.from("\n\n\n")],
  ["empty input", Buffer.alloc(0)],
];

describe("tags read in chunks", () => {
  for (const [name, bytes] of SAMPLES) {
    it(`gives the tags of the whole text: ${name}`, () => {
      const expected = wholeText(bytes);
      for (const chunkSize of [1, 2, 3, 7, 64, 4096]) {
        for (const bufferSize of [1, 16, 1 << 16]) {
          expect(
            chunked(bytes, chunkSize, bufferSize).tags,
            `chunks of ${chunkSize}, buffer ${bufferSize}`,
          ).toEqual(expected);
        }
      }
    });
  }

  it("flags a tag as ASCII only when its whole block is ASCII", () => {
    const { tags, ascii } = chunked(Buffer.from("a\nb\né\n"), 2, 4);
    expect(tags).toEqual(["a", "b", "é"]);
    expect(ascii[0]).toBe(true);
    expect(ascii[2]).toBe(false);
  });
});
