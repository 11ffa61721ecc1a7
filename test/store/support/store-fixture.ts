import { afterEach, beforeEach } from "vitest";
import type { Store } from "../../../src/store/index.js";

/** A backend's fresh, empty store for one test, and how to throw it away. */
export interface StoreHandle {
  store: Store;
  dispose(): Promise<void>;
}

/**
 * Gives every test of the enclosing describe a fresh store from `makeStore` (handed to `use`
 * before the test) and disposes of it after: the fixture the contract files share.
 */
export function freshStorePerTest(makeStore: () => Promise<StoreHandle>, use: (store: Store) => void): void {
  let handle: StoreHandle | undefined;
  beforeEach(async () => {
    handle = await makeStore();
    use(handle.store);
  });
  afterEach(async () => {
    await handle?.dispose();
    handle = undefined;
  });
}
