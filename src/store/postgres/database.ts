/**
 * The connection pool to the PostgreSQL server and the two ways every store method uses it: a
 * plain read on any pooled connection, or a write in one transaction on one connection. Every
 * statement has a server-side deadline (statement_timeout) and a client-side one a little longer
 * (a server that stopped answering), and connecting has its own; a pool error (the server
 * restarted under an idle connection) is absorbed here, never an uncaught event.
 */
import pg from "pg";
import { StoreError } from "../errors.js";
import type { PostgresLocation } from "../url.js";

/** What the modules send their SQL through: a pooled read or the caller's transaction. */
export interface Sql {
  rows(text: string, params?: readonly unknown[]): Promise<unknown[]>;
  /** Rows changed by an INSERT, UPDATE or DELETE. */
  count(text: string, params?: readonly unknown[]): Promise<number>;
}

export interface PoolOptions {
  /** Connections kept open by this process. */
  poolSize?: number;
  /** Server-side limit on one statement. */
  statementTimeoutMs?: number;
  /** Limit on opening a connection. */
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity, to tell replicas apart. */
  applicationName?: string;
}

const DEFAULT_POOL_SIZE = 8;
const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

const INT8_OID = 20;

/**
 * int8 columns (row ids, resourceVersions, generations) as numbers: pg returns them as strings
 * because they can exceed 2^53, which a counter of writes never does. A value that did would be
 * a damaged row, so it stays a string and the row check names it.
 */
function parseInt8(text: string): number | string {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export class Database {
  readonly pool: pg.Pool;
  private closed = false;
  /** The last error the pool reported on an idle connection (shown by the next failing call). */
  lastPoolError: Error | undefined;

  constructor(
    readonly location: PostgresLocation,
    opts: PoolOptions = {},
  ) {
    const statementTimeout = opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    this.pool = new pg.Pool({
      host: location.host,
      port: location.port,
      user: location.user,
      database: location.database,
      password: async () => (await location.password()) ?? "",
      ssl: sslOptions(location),
      max: opts.poolSize ?? DEFAULT_POOL_SIZE,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      statement_timeout: statementTimeout,
      // A statement the server never answers (network cut) still ends.
      query_timeout: statementTimeout + 2_000,
      idle_in_transaction_session_timeout: statementTimeout * 2,
      idleTimeoutMillis: 30_000,
      application_name: opts.applicationName ?? "imagectl",
      keepAlive: true,
      types,
    });
    // An idle connection the server closed (restart, failover) emits here; without a listener
    // the process would crash. The next query simply opens a new connection.
    this.pool.on("error", (err) => {
      this.lastPoolError = err;
    });
  }

  get open(): boolean {
    return !this.closed;
  }

  /** A read outside any transaction: one statement on any pooled connection. */
  async read<T>(op: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    this.checkOpen(op);
    try {
      return await fn(sqlOf(this.pool));
    } catch (err) {
      throw storeError(op, err);
    }
  }

  /** `fn` inside BEGIN … COMMIT on one connection; any failure rolls back. */
  async transaction<T>(op: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
    this.checkOpen(op);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw storeError(op, err);
    }
    let broken = false;
    try {
      await client.query("BEGIN");
      const out = await fn(sqlOf(client));
      await client.query("COMMIT");
      return out;
    } catch (err) {
      try {
        await client.query("ROLLBACK");
      } catch {
        // The connection is gone: it must not go back into the pool.
        broken = true;
      }
      throw storeError(op, err);
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private checkOpen(op: string): void {
    if (this.closed) throw new StoreError(`${op}: the store is closed`);
  }
}

function sqlOf(q: pg.Pool | pg.PoolClient): Sql {
  return {
    async rows(text, params = []) {
      return (await q.query(text, params as unknown[])).rows;
    },
    async count(text, params = []) {
      return (await q.query(text, params as unknown[])).rowCount ?? 0;
    },
  };
}

function sslOptions(loc: PostgresLocation): pg.PoolConfig["ssl"] {
  switch (loc.sslMode) {
    case "disable":
      return false;
    case "require":
      // libpq's meaning: encrypted, the server not verified.
      return { rejectUnauthorized: false };
    case "verify-ca":
      return { ca: loc.ca, checkServerIdentity: () => undefined };
    case "verify-full":
      return loc.ca !== undefined ? { ca: loc.ca } : true;
  }
}

/** Driver errors become StoreErrors naming `op`, with the driver's message (the error is the cause). */
export function storeError(op: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as Partial<Error> | null;
  return new StoreError(`${op}: ${e?.message ?? String(err)}`, { cause: err });
}

/** SQLSTATE of a pg error, if it is one. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
