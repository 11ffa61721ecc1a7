import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, resolveHome, STATE_DB } from "../../src/store/index.js";
import { repo } from "./contract.js";
import { tempDir } from "./support/temp.js";

const mode = (path: string) => statSync(path).mode & 0o777;

describe("state file location", () => {
  it("prefers --home, then $IMAGECTL_HOME, then ~/.imagectl", () => {
    expect(resolveHome("/a/b", { IMAGECTL_HOME: "/env" })).toBe("/a/b");
    expect(resolveHome(undefined, { IMAGECTL_HOME: "/env" })).toBe("/env");
    expect(resolveHome(undefined, {})).toBe(join(homedir(), ".imagectl"));
    expect(resolveHome(undefined, { IMAGECTL_HOME: "" })).toBe(join(homedir(), ".imagectl"));
  });

  it("resolves a relative --home against the working directory", () => {
    expect(resolveHome("rel/dir", {})).toBe(join(process.cwd(), "rel/dir"));
  });
});

describe("state file permissions", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.remove());

  it("creates the home directory 0700 and state.db with its WAL files 0600", async () => {
    const home = join(tmp.dir, "nested", "home");
    const store = await openStore({ env: { IMAGECTL_HOME: home } });
    try {
      await store.apply([repo("app", "ghcr.io/org/app")]);
      await store.putSecret("flux-system", "creds", { data: { password: "hunter2" } });
      expect(mode(home)).toBe(0o700);
      const db = join(home, STATE_DB);
      expect(mode(db)).toBe(0o600);
      expect(existsSync(`${db}-wal`)).toBe(true);
      expect(mode(`${db}-wal`)).toBe(0o600);
      expect(mode(`${db}-shm`)).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it("tightens a state.db that another tool left world-readable", async () => {
    const home = join(tmp.dir, "home");
    const first = await openStore({ home });
    await first.close();
    const db = join(home, STATE_DB);
    chmodSync(db, 0o644);
    const store = await openStore({ home });
    try {
      expect(mode(db)).toBe(0o600);
    } finally {
      await store.close();
    }
  });

  it("refuses a file that is not a database, naming the file", async () => {
    const home = join(tmp.dir, "home");
    const store = await openStore({ home });
    await store.close();
    const db = join(home, STATE_DB);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) if (existsSync(f)) writeFileSync(f, "");
    writeFileSync(db, "this is not sqlite".repeat(100));
    await expect(openStore({ home })).rejects.toThrow(db);
    expect(readFileSync(db, "utf8")).toContain("this is not sqlite");
  });
});
