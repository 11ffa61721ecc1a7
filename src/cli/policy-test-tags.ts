import { closeSync, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import { UsageError } from "./errors.js";
import { TagLineDecoder } from "./policy-test-lines.js";

/** Where `policy test` gets its tags; `--image` (registry) plugs in here as another source. */
export interface TagSourceOptions {
  tagsFile?: string;
  stdin: Readable;
}

/**
 * Feeds every tag, in order, to `add` (with ascii = true when the source knows the tag
 * is ASCII-only); resolves once the last one is fed.
 */
export type TagSource = (
  opts: TagSourceOptions,
  add: (tag: string, ascii?: boolean) => void,
) => Promise<void>;

/** Reads tags one per line from `--tags-file FILE` or `--tags-file -` (stdin), streaming. */
export const readTags: TagSource = async ({ tagsFile, stdin }, add) => {
  if (tagsFile === undefined) throw new UsageError("--tags-file is required");
  const lines = new TagLineDecoder(add);
  if (tagsFile === "-") {
    for await (const chunk of stdin)
      lines.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  } else {
    try {
      readFileInto(tagsFile, lines);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (typeof code !== "string") throw err; // not a file system error
      throw new UsageError(`--tags-file: cannot read '${tagsFile}': ${code}`);
    }
  }
  lines.end();
};

/**
 * Synchronous reads straight into the decoder's reusable buffer: the whole file never
 * sits in memory, and a CLI has nothing else to do meanwhile.
 */
function readFileInto(file: string, lines: TagLineDecoder): void {
  const fd = openSync(file, "r");
  try {
    for (;;) {
      const room = lines.space();
      const n = readSync(fd, room, 0, room.length, null);
      if (n === 0) return;
      lines.commit(n);
    }
  } finally {
    closeSync(fd);
  }
}
