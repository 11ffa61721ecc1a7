import { join } from "node:path";
import { openSqliteStore } from "../../src/store/sqlite/store.js";
import { describeStoreContract } from "./contract.js";
import { tempDir } from "./support/temp.js";

describeStoreContract("SQLite", async () => {
  const tmp = tempDir();
  const store = await openSqliteStore(join(tmp.dir, "state.db"));
  return {
    store,
    async dispose() {
      await store.close();
      tmp.remove();
    },
  };
});
