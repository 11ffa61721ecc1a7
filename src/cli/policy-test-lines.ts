import { isAscii } from "node:buffer";

/**
 * Splits UTF-8 bytes pushed in arbitrary chunks into tags, one per line, without ever
 * holding the whole input: one trailing `\r` is removed (CRLF files), and empty or
 * whitespace-only lines are skipped.
 * Why by hand: decoding a 25 MB file into one string and splitting it allocates
 * ~100 MB of fresh memory, and page faults plus GC cost more than selecting the tag.
 * Here a small reusable buffer is decoded a block of whole lines at a time: a `\n`
 * byte never occurs inside a UTF-8 sequence, so decoding line-aligned blocks gives
 * exactly the text of decoding everything at once (malformed bytes included).
 */
export class TagLineDecoder {
  private buf: Buffer;
  private used = 0;

  constructor(
    private readonly emit: (tag: string, ascii: boolean) => void,
    initialSize = 1 << 16,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(1, initialSize));
  }

  /** Free space to read into directly (fill it, then call commit). */
  space(): Buffer {
    if (this.used === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2); // one line longer than the buffer
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    return this.buf.subarray(this.used);
  }

  /** Marks `n` bytes written into space() as received and emits every complete line. */
  commit(n: number): void {
    const from = this.used;
    this.used += n;
    const nl = this.buf.lastIndexOf(10, this.used - 1);
    if (nl < from) return; // no new line end yet
    this.emitBlock(nl + 1);
    this.buf.copy(this.buf, 0, nl + 1, this.used);
    this.used -= nl + 1;
  }

  push(chunk: Uint8Array): void {
    let off = 0;
    while (off < chunk.length) {
      const room = this.space();
      const n = Math.min(room.length, chunk.length - off);
      room.set(chunk.subarray(off, off + n));
      off += n;
      this.commit(n);
    }
  }

  /** Emits the last line when the input does not end with a newline. */
  end(): void {
    if (this.used > 0) this.emitBlock(this.used);
    this.used = 0;
  }

  private emitBlock(end: number): void {
    const bytes = this.buf.subarray(0, end);
    // Latin-1 decoding of ASCII bytes is the UTF-8 text, and far cheaper.
    const ascii = isAscii(bytes);
    const text = ascii ? bytes.toString("latin1") : bytes.toString("utf8");
    const emit = this.emit;
    let pos = 0;
    const len = text.length;
    while (pos < len) {
      let nl = text.indexOf("\n", pos);
      if (nl < 0) nl = len;
      let stop = nl;
      if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
      if (stop > pos && !isBlank(text, pos, stop)) emit(text.slice(pos, stop), ascii);
      pos = nl + 1;
    }
  }
}

/** Whitespace-only lines count as blank; only lines starting with whitespace can be. */
function isBlank(text: string, from: number, to: number): boolean {
  const c = text.charCodeAt(from);
  return (c === 32 || c === 9) && text.slice(from, to).trim() === "";
}
