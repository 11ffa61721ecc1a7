import { closeSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";

// One buffer reused for every read: most files are screened out and never decoded, so
// allocating a fresh Buffer per file (as readFileSync does, after an fstat) is wasted work.
let shared = Buffer.allocUnsafe(1 << 16);

/**
 * The whole content of `path`, as a view of a buffer that the next call overwrites: callers must
 * decode or copy what they keep before reading another file.
 */
export function readTransient(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    let length = 0;
    for (;;) {
      if (length === shared.length) {
        const bigger = Buffer.allocUnsafe(shared.length * 2);
        shared.copy(bigger);
        shared = bigger;
      }
      const n = readSync(fd, shared, length, shared.length - length, null);
      if (n === 0) return shared.subarray(0, length);
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces the content of an existing file. Written over the old bytes and then cut to length,
 * not truncated to zero first: ext4 (auto_da_alloc) flushes a file truncated to zero and rewritten
 * when it is closed, which made writing 500 files ~10x slower (180 ms vs 20 ms measured).
 */
export function overwriteFile(path: string, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  const fd = openSync(path, "r+");
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written, written);
    ftruncateSync(fd, bytes.length);
  } finally {
    closeSync(fd);
  }
}
