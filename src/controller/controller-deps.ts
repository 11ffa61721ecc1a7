import type { ObjectId } from "../api/object-id.js";
import type { Store } from "../store/index.js";
import type { PolicyEvaluator } from "./policy-pool.js";

/**
 * What every reconciler needs from the outside world, passed in rather than reached for so that
 * tests and the CLI hand the same reconcilers a temp home, a real store and their own clock.
 */
export interface ControllerDeps {
  store: Store;
  /** $IMAGECTL_HOME: where caches (git clones) live beside the store. */
  home: string;
  now: () => Date;
  /** Where ImagePolicy selections run (policy-pool.ts: the daemon, `run`); absent: this thread. */
  evaluatePolicy?: PolicyEvaluator;
  /** Time limit of one ImagePolicy selection (`--policy-timeout`); absent: DEFAULT_POLICY_TIMEOUT_MS. */
  policyTimeoutMs?: number;
  /**
   * Right before a push: throws when this process may no longer act for `key` (a replica that
   * lost its lease, lease-manager.ts). Absent where one process owns the store.
   */
  fence?: (key: ObjectId) => Promise<void>;
}
