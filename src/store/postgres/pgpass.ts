/**
 * The password libpq would find in its password file (`PGPASSFILE`, else `~/.pgpass`), read as
 * libpq reads it: lines `host:port:database:user:password`, `*` matching anything, `\` escaping
 * `:` and `\`, `#` starting a comment line, the FIRST matching line winning, and the file ignored
 * (with a warning) when it is not a plain file or group or others may read it.
 * Hand-written: the `pgpass` package pg used to bundle lets a later matching line override an
 * earlier one when both arrive in one read (tested here), which is not what libpq does. pg stops
 * looking at the file once a password function is given, so the store asks here, last, after
 * PGPASSWORD and IMAGECTL_STORE_PASSWORD_FILE.
 */
import { readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface PasswordFileQuery {
  host: string;
  port: number;
  database: string;
  user: string;
}

/** The password file's fields on one line, escapes resolved; undefined for a comment or short line. */
function fieldsOf(line: string): string[] | undefined {
  if (line.startsWith("#")) return undefined;
  const fields: string[] = [];
  let current = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "\\" && i + 1 < line.length) current += line[++i];
    else if (c === ":" && fields.length < 4) {
      fields.push(current);
      current = "";
    } else current += c;
  }
  fields.push(current);
  return fields.length === 5 ? fields : undefined;
}

/** The first matching password of `text` (a password file's content). */
export function matchPasswordLine(text: string, q: PasswordFileQuery): string | undefined {
  const wanted = [q.host, String(q.port), q.database, q.user];
  for (const raw of text.split("\n")) {
    const f = fieldsOf(raw.replace(/\r$/, ""));
    if (f && wanted.every((w, i) => f[i] === "*" || f[i] === w)) return f[4];
  }
  return undefined;
}

/**
 * The matching password of the password file named by `env`, or undefined (no file, no line, or
 * a file others could read: then `warn` says so, as libpq does).
 */
export async function passwordFromFile(
  q: PasswordFileQuery,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): Promise<string | undefined> {
  const file = env.PGPASSFILE || join(env.HOME || homedir(), ".pgpass");
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch {
    return undefined; // no file is the usual case
  }
  if (!info.isFile()) {
    warn(`password file "${file}" is not a plain file`);
    return undefined;
  }
  if (info.mode & 0o077) {
    warn(`password file "${file}" has group or world access; permissions should be u=rw (0600) or less`);
    return undefined;
  }
  return matchPasswordLine(await readFile(file, "utf8"), q);
}
