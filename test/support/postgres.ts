/**
 * A throwaway PostgreSQL cluster for tests (/work/shared/testbed.md §5): `initdb` and `pg_ctl` as
 * the `postgres` user through `runuser` (the server refuses to run as root), listening on a free
 * loopback port, its Unix socket in its own temp dir. stop() removes everything; a process exit
 * (a failed or interrupted run) stops the server too.
 */
import { execFile, execFileSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./registry.js";
import { generateTestPki, type TestPki } from "./tls.js";

const run = promisify(execFile);

function pgBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(a) - Number(b)) : [];
  const v = versions.at(-1);
  if (!v) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql");
  return join(root, v, "bin");
}

export interface StartPostgresOptions {
  /**
   * TLS with a test CA (`pki`), and TCP connections only over TLS with a password (scram); the
   * superuser still connects without one over the Unix socket, which `query` uses.
   */
  secure?: boolean;
}

export interface TestPostgres {
  /** The test CA and server certificate, when started `secure`. */
  pki: TestPki | undefined;
  host: string;
  port: number;
  /** Temp dir holding the data directory, socket and log. */
  dir: string;
  /** `postgres://postgres@127.0.0.1:PORT/<db>`: a URL for --store (no password: trust auth). */
  url(database: string): string;
  /** Creates an empty database; returns its name. */
  createDatabase(name?: string): Promise<string>;
  /** Runs one SQL statement as the superuser, in `database`. */
  query(sql: string, database?: string): Promise<pg.QueryResult>;
  /** `pg_ctl stop` in the given mode (`immediate` is a crash: no checkpoint, clients cut off). */
  stopServer(mode?: "fast" | "immediate"): Promise<void>;
  startServer(): Promise<void>;
  log(): string;
  /** Stops the server and removes the dir. */
  stop(): Promise<void>;
}

let counter = 0;

export async function startPostgres(opts: StartPostgresOptions = {}): Promise<TestPostgres> {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), "imagectl-pg-"));
  const asPostgres = userInfo().uid === 0;
  if (asPostgres) {
    const { uid, gid } = pgUser();
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  const data = join(dir, "data");
  const logFile = join(dir, "pg.log");
  const port = await freePort();
  const host = "127.0.0.1";
  const cmd = (tool: string, args: string[]) =>
    asPostgres
      ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args])
      : run(join(bin, tool), args);
  const ctl = (args: string[]) => cmd("pg_ctl", ["-D", data, ...args]);
  await cmd("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
    "--no-sync",
    "--no-instructions",
  ]);
  let options = `-c listen_addresses=${host} -p ${port} -k ${dir} -c fsync=off -c full_page_writes=off -c max_connections=200`;
  let pki: TestPki | undefined;
  if (opts.secure) {
    pki = generateTestPki(join(dir, "pki"));
    if (asPostgres) {
      const { uid, gid } = pgUser();
      chownSync(pki.dir, uid, gid);
      chownSync(pki.serverKeyPath, uid, gid);
      chownSync(pki.serverCertPath, uid, gid);
    }
    // The server refuses a key others can read.
    chmodSync(pki.serverKeyPath, 0o600);
    options += ` -c ssl=on -c ssl_cert_file=${pki.serverCertPath} -c ssl_key_file=${pki.serverKeyPath}`;
    writeFileSync(
      join(data, "pg_hba.conf"),
      "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 reject\n",
    );
  }
  // fsync off: a test's crash is the server process's (`-m immediate`), never the machine's, so
  // what reached the kernel survives it. synchronous_commit stays on: a commit is in the WAL
  // before it is acknowledged, so a crash loses nothing a client was told was stored.
  const startServer = async () => {
    await ctl(["-l", logFile, "-w", "-s", "-o", options, "start"]);
  };
  await startServer();

  let running = true;
  const stopSync = () => {
    if (!running) return;
    running = false;
    try {
      const args = ["-D", data, "-m", "immediate", "-w", "-s", "stop"];
      if (asPostgres) execFileSync("runuser", ["-u", "postgres", "--", join(bin, "pg_ctl"), ...args]);
      else execFileSync(join(bin, "pg_ctl"), args);
    } catch {
      // Already stopped.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopSync);

  const url = (database: string) => `postgres://postgres@${host}:${port}/${database}`;
  const query = async (sql: string, database = "postgres") => {
    // Over the Unix socket: the superuser needs no password there, also on a secure server.
    const client = new pg.Client({ host: dir, port, user: "postgres", database });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    pki,
    host,
    port,
    dir,
    url,
    query,
    async createDatabase(name = `t${process.pid}_${++counter}`) {
      await query(`CREATE DATABASE ${name}`);
      return name;
    },
    async stopServer(mode = "fast") {
      await ctl(["-m", mode, "-w", "-s", "stop"]);
    },
    startServer,
    log: () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : ""),
    async stop() {
      process.removeListener("exit", stopSync);
      if (running) {
        running = false;
        await ctl(["-m", "fast", "-w", "-s", "stop"]).catch(() => {});
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function pgUser(): { uid: number; gid: number } {
  const out = execFileSync("id", ["-u", "postgres"]).toString().trim();
  const gid = execFileSync("id", ["-g", "postgres"]).toString().trim();
  return { uid: Number(out), gid: Number(gid) };
}
