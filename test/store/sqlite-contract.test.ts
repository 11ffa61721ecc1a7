import { join } from "node:path";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { describeStoreContract, type StoreHandle } from "./contract.js";
import { describeFactPruneContract } from "./fact-prune-contract.js";
import { tempDir } from "./support/temp.js";

async function makeStore(): Promise<StoreHandle> {
  const tmp = tempDir();
  const store = await openSqliteStore(join(tmp.dir, "state.db"));
  return {
    store,
    async dispose() {
      await store.close();
      tmp.remove();
    },
  };
}

describeStoreContract("SQLite", makeStore);
describeFactPruneContract("SQLite", makeStore);
