/**
 * Where the store lives: the home's SQLite file (the default) or a PostgreSQL server named by
 * `--store postgres://USER@HOST:PORT/DB` or `$IMAGECTL_STORE`.
 *
 * The URL is read here rather than by pg's own parser because imagectl must (1) fill the gaps from
 * the environment the command was given (PGHOST, PGPORT, PGUSER, PGDATABASE, PGSSLMODE, ...), not
 * only `process.env`; (2) refuse a password in the URL, which would sit in the process list and
 * shell history: the password comes from PGPASSWORD or a password file; (3) give `sslmode` libpq's
 * meaning (pg's parser treats `require` as `verify-full` unless asked otherwise, and has no way to
 * say which of the two a message should name).
 */
import { readFileSync } from "node:fs";
import { StoreError } from "./errors.js";
import { passwordFromFile } from "./postgres/pgpass.js";

export const STORE_ENV = "IMAGECTL_STORE";
/** A file holding only the password (as a mounted Kubernetes Secret key): the first line is used. */
export const STORE_PASSWORD_FILE_ENV = "IMAGECTL_STORE_PASSWORD_FILE";

/** The store flag or variable named something imagectl cannot use. */
export class StoreUrlError extends StoreError {
  override name = "StoreUrlError";
}

export type SslMode = "disable" | "require" | "verify-ca" | "verify-full";
const SSL_MODES: readonly SslMode[] = ["disable", "require", "verify-ca", "verify-full"];

export interface PostgresLocation {
  host: string;
  port: number;
  user: string;
  database: string;
  sslMode: SslMode;
  /** PEM of the CA to trust (sslrootcert), for verify-ca / verify-full. */
  ca?: string;
  /**
   * Read when a connection needs it, so it is never kept in a config object that may be printed:
   * PGPASSWORD, the file of IMAGECTL_STORE_PASSWORD_FILE, else libpq's password file (~/.pgpass).
   */
  password: () => Promise<string | undefined>;
  /** `postgres://user@host:port/db`: safe to print (never holds a password). */
  display: string;
}

export type StoreLocation = { backend: "sqlite" } | ({ backend: "postgres" } & PostgresLocation);

/** Where the value came from, for messages: `--store` or `IMAGECTL_STORE`. */
function origin(flag: string | undefined): string {
  return flag !== undefined ? "--store" : STORE_ENV;
}

/**
 * The store `--store` (else `$IMAGECTL_STORE`) names; SQLite in the home when neither is set.
 * Only `postgres://` and `postgresql://` URLs are accepted.
 */
export function resolveStoreLocation(flag: string | undefined, env: NodeJS.ProcessEnv): StoreLocation {
  const text = flag ?? (env[STORE_ENV] || undefined);
  if (text === undefined || text === "") return { backend: "sqlite" };
  return { backend: "postgres", ...parsePostgresUrl(text, env, origin(flag)) };
}

/** A percent-encoded part of the URL; a bad escape is the user's error, named by the part (not quoted). */
function decodedPart(where: string, part: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new StoreUrlError(`${where}: the ${part} has a malformed percent-escape (%XX)`);
  }
}

export function parsePostgresUrl(text: string, env: NodeJS.ProcessEnv, where = "--store"): PostgresLocation {
  const expected = "expected postgres://USER@HOST:PORT/DB";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The text is not quoted: it might hold a password.
    throw new StoreUrlError(`${where}: not a URL (${expected})`);
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new StoreUrlError(`${where}: unsupported scheme '${url.protocol.replace(/:$/, "")}' (${expected})`);
  }
  if (url.password !== "") {
    throw new StoreUrlError(
      `${where}: the URL holds a password; give it in PGPASSWORD or in a file named by ${STORE_PASSWORD_FILE_ENV}, never on the command line`,
    );
  }
  const params = url.searchParams;
  for (const key of params.keys()) {
    if (key !== "sslmode" && key !== "sslrootcert") {
      throw new StoreUrlError(`${where}: unsupported parameter '${key}' (supported: sslmode, sslrootcert)`);
    }
  }
  const host =
    decodedPart(where, "host", url.hostname.replace(/^\[(.+)\]$/, "$1")) || env.PGHOST || "localhost";
  const portText = url.port || env.PGPORT || "5432";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StoreUrlError(`${where}: port must be a number from 1 to 65535`);
  }
  const user = decodedPart(where, "user", url.username) || env.PGUSER || "";
  if (user === "") throw new StoreUrlError(`${where}: no user (${expected}, or set PGUSER)`);
  const database = decodedPart(where, "database", url.pathname.replace(/^\//, "")) || env.PGDATABASE || user;
  const modeText = params.get("sslmode") ?? env.PGSSLMODE ?? "disable";
  if (!(SSL_MODES as readonly string[]).includes(modeText)) {
    throw new StoreUrlError(
      `${where}: sslmode '${modeText}' is not supported (supported: ${SSL_MODES.join(", ")})`,
    );
  }
  const sslMode = modeText as SslMode;
  const rootCert = params.get("sslrootcert") ?? env.PGSSLROOTCERT;
  let ca: string | undefined;
  if (sslMode === "verify-ca" || sslMode === "verify-full") {
    if (rootCert) ca = readText(rootCert, `${where}: sslrootcert`);
    else if (sslMode === "verify-ca")
      throw new StoreUrlError(`${where}: sslmode verify-ca needs sslrootcert (the CA to trust)`);
  }
  const passwordFile = env[STORE_PASSWORD_FILE_ENV] || undefined;
  const inline = env.PGPASSWORD || undefined;
  if (passwordFile && inline) {
    throw new StoreUrlError(`set PGPASSWORD or ${STORE_PASSWORD_FILE_ENV}, not both`);
  }
  const password = passwordFile
    ? async () => readText(passwordFile, STORE_PASSWORD_FILE_ENV).split(/\r?\n/)[0]
    : inline !== undefined
      ? async () => inline
      : () => passwordFromFile({ host, port, database, user }, env, warnOnStderr);
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    host,
    port,
    user,
    database,
    sslMode,
    ...(ca !== undefined ? { ca } : {}),
    password,
    display: `postgres://${encodeURIComponent(user)}@${hostPart}:${port}/${encodeURIComponent(database)}`,
  };
}

/** libpq warns on stderr about a password file it will not use; so does imagectl. */
function warnOnStderr(message: string): void {
  process.stderr.write(`imagectl: warning: ${message}\n`);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StoreUrlError(`${what}: cannot read ${path}: ${code === "ENOENT" ? "no such file" : code}`);
  }
}
