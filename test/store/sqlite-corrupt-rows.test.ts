/**
 * Rows damaged behind the store's back (written straight into the file, as a hand edit or another
 * tool would) must fail with a CorruptRowError naming the table, the object and the field.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CorruptRowError, type EventInput, type Store, StoreError } from "../../src/store/index.js";
import { seal } from "../../src/store/secrets-cipher.js";
import { secretsKeyring } from "../../src/store/secrets-key.js";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { policy, repo } from "./contract.js";
import { tempDir } from "./support/temp.js";

const APP = "(SELECT id FROM objects WHERE kind = 'ImageRepository' AND name = 'app')";
const REPO = "ImageRepository 'flux-system/app'";
const SCANNED: EventInput = {
  kind: "ImageRepository",
  namespace: "flux-system",
  name: "app",
  type: "Normal",
  reason: "Succeeded",
  message: "scanned",
  at: "2026-01-01T00:00:00Z",
};

/** Every store in this file seals with this key, so damaged secret data can be sealed as the store would. */
const KEYRING = secretsKeyring("/nonexistent/secrets.key", {}, { key: randomBytes(32) });
const KEY = KEYRING.sealingKey(() => {});
const sealed = (text: string, name = "creds") =>
  seal(KEY, { namespace: "flux-system", name, type: "Opaque" }, text);
const open = (file: string) => openSqliteStore(file, { secrets: KEYRING });

interface Case {
  name: string;
  sql: string;
  read: (store: Store) => Promise<unknown>;
  message: string;
}

const CASES: Case[] = [
  {
    name: "a spec that is not JSON",
    sql: `UPDATE objects SET spec = '{"image": ' WHERE id = ${APP}`,
    read: (s) => s.get("ImageRepository", "flux-system", "app"),
    message: `corrupt row in table objects for ${REPO}: spec: not valid JSON`,
  },
  {
    name: "a spec that is not an object",
    sql: `UPDATE objects SET spec = '[1, 2]' WHERE id = ${APP}`,
    read: (s) => s.list("ImageRepository"),
    message: `corrupt row in table objects for ${REPO}: spec: expected object, found array`,
  },
  {
    name: "a generation that is not an integer",
    sql: `UPDATE objects SET generation = 'two' WHERE id = ${APP}`,
    read: (s) => s.mustGet("ImageRepository", "flux-system", "app"),
    message: `corrupt row in table objects for ${REPO}: generation: expected number, found string`,
  },
  {
    name: "a kind imagectl does not know",
    sql: "UPDATE objects SET kind = 'Deployment' WHERE name = 'app'",
    read: (s) => s.list("Deployment" as "ImagePolicy"),
    message:
      "corrupt row in table objects for Deployment 'flux-system/app': kind: expected one of " +
      '"ImageRepository", "ImagePolicy", "ImageUpdateAutomation", "GitRepository", "Receiver", "Provider", "Alert"',
  },
  {
    name: "a label value that is not a string (read while filtering by labels)",
    sql: `UPDATE objects SET labels = '{"app": 5}' WHERE kind = 'ImagePolicy'`,
    read: (s) => s.list("ImagePolicy", { labelSelector: { matchLabels: { app: "vote" } } }),
    message:
      "corrupt row in table objects for ImagePolicy 'flux-system/vote': labels.app: expected string, found number",
  },
  {
    name: "annotations that are not JSON (read while applying over them)",
    sql: `UPDATE objects SET annotations = 'nope' WHERE id = ${APP}`,
    read: (s) => s.apply([repo("app", "ghcr.io/example/other")]),
    message: `corrupt row in table objects for ${REPO}: annotations: not valid JSON`,
  },
  {
    name: "a status that is not an object",
    sql: `INSERT INTO object_status (object_id, status) VALUES (${APP}, '"Ready"')`,
    read: (s) => s.get("ImageRepository", "flux-system", "app"),
    message: `corrupt row in table object_status for ${REPO}: status: expected object, found string`,
  },
  {
    name: "a tag that is not a string",
    sql: `UPDATE repository_tags SET tags = '["1.0.0", 2, "3.0.0"]' WHERE object_id = ${APP}`,
    read: (s) => s.getTags("flux-system", "app"),
    message: `corrupt row in table repository_tags for ${REPO}: tags[1]: expected string, found number`,
  },
  {
    name: "a tag list that is not a list",
    sql: `UPDATE repository_tags SET tags = '{"1.0.0": true}' WHERE object_id = ${APP}`,
    read: (s) => s.getTags("flux-system", "app"),
    message: `corrupt row in table repository_tags for ${REPO}: tags: expected array, found object`,
  },
  {
    name: "a scan time stored as a blob",
    sql: `UPDATE repository_tags SET scan_time = X'00' WHERE object_id = ${APP}`,
    read: (s) => s.getTags("flux-system", "app"),
    message: `corrupt row in table repository_tags for ${REPO}: scan_time: expected string, found blob`,
  },
  {
    name: "a digest stored as a blob",
    sql: `UPDATE repository_digests SET digest = X'00' WHERE object_id = ${APP}`,
    read: (s) => s.getDigests("flux-system", "app"),
    message: `corrupt row in table repository_digests for ${REPO}: digest: expected string, found blob`,
  },
  {
    name: "secret data that is not encrypted",
    sql: `UPDATE secrets SET data = '{"password": "hunter2"}'`,
    read: (s) => s.getSecret("flux-system", "creds"),
    message:
      "corrupt row in table secrets for Secret 'flux-system/creds': data: not encrypted data (expected v1:<key id>:<ciphertext>)",
  },
  {
    name: "secret data moved from another secret's row",
    sql: `UPDATE secrets SET data = '${sealed('{"password": "hunter2"}', "other")}'`,
    read: (s) => s.getSecret("flux-system", "creds"),
    message: `corrupt row in table secrets for Secret 'flux-system/creds': data: does not decrypt with key ${KEY.id}: altered, or moved here from another secret`,
  },
  {
    name: "a secret retyped by hand",
    sql: "UPDATE secrets SET type = 'kubernetes.io/basic-auth'",
    read: (s) => s.listSecrets(),
    message: `corrupt row in table secrets for Secret 'flux-system/creds': data: does not decrypt with key ${KEY.id}: altered, or moved here from another secret`,
  },
  {
    name: "secret data whose value is not a string",
    sql: `UPDATE secrets SET data = '${sealed('{"password": 5}')}'`,
    read: (s) => s.listSecrets(),
    message:
      "corrupt row in table secrets for Secret 'flux-system/creds': data.password: expected string, found number",
  },
  {
    name: "an event type that is neither Normal nor Warning",
    sql: "UPDATE events SET type = 'Fatal'",
    read: (s) => s.listEvents(),
    message: `corrupt row in table events for ${REPO}: type: expected one of "Normal", "Warning"`,
  },
  {
    name: "an event count that is not a number (read while folding a repeat)",
    sql: "UPDATE events SET count = 'many'",
    read: (s) => s.recordEvent({ ...SCANNED, at: "2026-01-01T00:01:00Z" }),
    message: `corrupt row in table events for ${REPO}: count: expected number, found string`,
  },
  {
    name: "run changes of the wrong shape",
    sql: `UPDATE runs SET changes = '[{"file": 1, "setter": "s", "oldValue": "a", "newValue": "b"}]'`,
    read: (s) => s.listRuns(),
    message:
      "corrupt row in table runs for ImageUpdateAutomation 'flux-system/auto': changes[0].file: expected string, found number",
  },
  {
    name: "a change-feed row of an unknown change type",
    sql: "UPDATE changes SET type = 'moved'",
    read: (s) => s.changesSince(0),
    message: `corrupt row in table changes for ${REPO}: type: expected one of "created", "spec", "metadata", "status", "deleted"`,
  },
  {
    name: "a pruning mark that is not a number",
    sql: "INSERT INTO store_meta (key, value) VALUES ('changes_pruned_through', 'soon')",
    read: (s) => s.currentResourceVersion(),
    message: "corrupt row in table store_meta for key 'changes_pruned_through': value: expected an integer",
  },
];

describe("SQLite rows damaged outside the store", () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store | undefined;
  const file = () => join(tmp.dir, "state.db");

  beforeEach(async () => {
    tmp = tempDir();
    const s = await open(file());
    await s.apply([repo("app", "ghcr.io/example/app"), policy("vote", "1.x", { app: "vote" })]);
    await s.putTags("flux-system", "app", ["1.0.0", "2.0.0"], {
      revision: "sha256:aaa",
      scanTime: "2026-01-01T00:00:00Z",
    });
    await s.putDigests("flux-system", "app", { "1.0.0": "sha256:bbb" });
    await s.putSecret("flux-system", "creds", { data: { password: "hunter2" } });
    await s.recordEvent(SCANNED);
    await s.recordRun({
      namespace: "flux-system",
      name: "auto",
      startedAt: "2026-01-01T00:00:00Z",
      finishedAt: "2026-01-01T00:00:01Z",
      outcome: "pushed",
      changes: [{ file: "app.yaml", setter: "s", oldValue: "a", newValue: "b" }],
    });
    await s.close();
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    tmp.remove();
  });

  function damage(sql: string): void {
    const db = new Database(file());
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  }

  it.each(CASES)("reports $name", async ({ sql, read, message }) => {
    damage(sql);
    store = await open(file());
    const err = await read(store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptRowError);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toBe(message);
  });

  it("never quotes a secret from data that is not JSON", async () => {
    damage(`UPDATE secrets SET data = '${sealed('{"password": "hunter2')}'`);
    store = await open(file());
    const err = await store.getSecret("flux-system", "creds").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptRowError);
    expect((err as Error).message).toBe(
      "corrupt row in table secrets for Secret 'flux-system/creds': data: not valid JSON",
    );
    expect(String((err as Error).cause ?? "")).not.toContain("hunter2");
  });

  it("names the table, object and field on the error", async () => {
    damage(`UPDATE objects SET spec = 'null' WHERE id = ${APP}`);
    store = await open(file());
    const err = await store.get("ImageRepository", "flux-system", "app").catch((e: unknown) => e);
    expect(err).toMatchObject({ table: "objects", object: REPO, field: "spec" });
  });
});
