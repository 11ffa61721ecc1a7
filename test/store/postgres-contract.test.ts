import { openPostgresStore } from "../../src/store/postgres/store.js";
import { parsePostgresUrl } from "../../src/store/url.js";
import type { TestPostgres } from "../support/postgres.js";
import { describeStoreContract, type StoreHandle } from "./contract.js";
import { describeFactPruneContract } from "./fact-prune-contract.js";
import { postgresForFile } from "./support/postgres-server.js";

const KEY = Buffer.alloc(32, 7).toString("base64");

let server: TestPostgres;
postgresForFile((s) => {
  server = s;
});

async function makeStore(): Promise<StoreHandle> {
  const db = await server.createDatabase();
  const store = await openPostgresStore(parsePostgresUrl(server.url(db), {}), {
    env: { IMAGECTL_SECRETS_KEY: KEY },
  });
  return {
    store,
    async dispose() {
      await store.close();
      await server.query(`DROP DATABASE ${db}`);
    },
  };
}

describeStoreContract("PostgreSQL", makeStore);
describeFactPruneContract("PostgreSQL", makeStore);
