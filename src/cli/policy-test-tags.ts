import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import { UsageError } from "./errors.js";

/** Where `policy test` gets its tags; `--image` (registry) plugs in here as another source. */
export interface TagSourceOptions {
  tagsFile?: string;
  stdin: Readable;
}

export type TagSource = (opts: TagSourceOptions) => Promise<string[]>;

/** Reads tags one per line from `--tags-file FILE` or `--tags-file -` (stdin). */
export const readTags: TagSource = async ({ tagsFile, stdin }) => {
  if (tagsFile === undefined) throw new UsageError("--tags-file is required");
  let text: string;
  if (tagsFile === "-") text = await readAll(stdin);
  else {
    try {
      text = await readFile(tagsFile, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "read error";
      throw new UsageError(`--tags-file: cannot read '${tagsFile}': ${code}`);
    }
  }
  return splitTagLines(text);
};

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** One tag per line; blank lines are skipped and a trailing \r (CRLF files) removed. */
export function splitTagLines(text: string): string[] {
  const lines = text.split("\n");
  let n = 0;
  for (let line of lines) {
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0) continue;
    // Whitespace-only lines count as blank; only lines starting with whitespace can be.
    const c = line.charCodeAt(0);
    if ((c === 32 || c === 9) && line.trim() === "") continue;
    lines[n++] = line;
  }
  lines.length = n;
  return lines;
}
