import type { Store } from "../store/index.js";

/**
 * What every reconciler needs from the outside world, passed in rather than reached for so that
 * tests and the CLI hand the same reconcilers a temp home, a real store and their own clock.
 */
export interface ControllerDeps {
  store: Store;
  /** $IMAGECTL_HOME: where caches (git clones) live beside the store. */
  home: string;
  now: () => Date;
}
