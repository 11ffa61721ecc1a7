import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect } from "vitest";
import { openStore, STATE_DB, type Store } from "../../../src/store/index.js";
import { tempDir } from "./temp.js";

export const CANARY = "canary-Pa55-7f3c9e";
export const CREDS = {
  type: "kubernetes.io/basic-auth" as const,
  data: { username: "bot", password: CANARY },
};

/** Every byte imagectl keeps in `home` beside the key: the database and its WAL files. */
export function storedBytes(home: string): Buffer {
  const files = readdirSync(home).filter((f) => f.startsWith(STATE_DB));
  return Buffer.concat(files.map((f) => readFileSync(join(home, f))));
}

export const newKey = () => randomBytes(32).toString("base64");

export async function errorOf(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

/**
 * Homes under a fresh temp directory per test, and stores opened in them with only the
 * environment given (never this process's), all closed and removed after each test.
 */
export function secretHomes() {
  let tmp: ReturnType<typeof tempDir>;
  let stores: Store[] = [];
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await Promise.all(stores.map((s) => s.close()));
    stores = [];
    tmp.remove();
  });
  const home = (name = "home") => join(tmp.dir, name);
  return {
    dir: () => tmp.dir,
    home,
    async open(name = "home", env: NodeJS.ProcessEnv = {}): Promise<Store> {
      const store = await openStore({ home: home(name), env });
      stores.push(store);
      return store;
    },
  };
}
