/** The CLI's side of the policy evaluation pool: `--policy-timeout` and where the worker's entry is. */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { PolicyEvaluationPool } from "../controller/policy-pool.js";
import { DEFAULT_POLICY_TIMEOUT_MS } from "../policy/deadline.js";

/** The `--policy-timeout` option of `serve` and `run`: [flags, description, default]. */
export const POLICY_TIMEOUT_OPTION = [
  "--policy-timeout <duration>",
  "time limit of one ImagePolicy selection; a policy over it is not Ready (reason EvaluationTimeout)",
  `${DEFAULT_POLICY_TIMEOUT_MS / 1000}s`,
] as const;

/**
 * A pool for `concurrency` reconciles: as many workers as there are cores, at least two (so one
 * slow policy never holds up every other one) and no more than reconciles can ask for at once.
 */
export async function startPolicyPool(concurrency: number): Promise<PolicyEvaluationPool> {
  const { PolicyEvaluationPool } = await import("../controller/policy-pool.js");
  const size = Math.min(concurrency, Math.max(2, availableParallelism()));
  return new PolicyEvaluationPool({ ...policyWorkerScript(), size });
}

/**
 * The entry of a policy evaluation worker (src/cli/launcher/policy-worker-main.ts), as options of
 * src/controller/policy-pool.ts. Resolved from this module's own place: the bundles sit in
 * dist/cli where the modules they replace are (scripts/bundle.mjs), so
 * `./imagectl-policy-worker.cjs` is beside both the CLI bundle and tsc's dist/cli/*.js. An
 * unbuilt checkout (tsx, the tests) loads the TS entry through tsx's loader: a worker does not
 * take `--import tsx` from execArgv on Node 20, so a one-line script registers tsx first.
 */
export function policyWorkerScript(): { script: URL | string; eval?: boolean } {
  const bundled = new URL("./imagectl-policy-worker.cjs", import.meta.url);
  if (existsSync(bundled)) return { script: bundled };
  const compiled = new URL("./launcher/policy-worker-main.js", import.meta.url);
  if (existsSync(compiled)) return { script: compiled };
  const source = new URL("./launcher/policy-worker-main.ts", import.meta.url);
  return {
    // require, not import(): the bundles must hold no import() text (scripts/bundle.mjs checks).
    script: `require("tsx/cjs/api").register(); require(${JSON.stringify(fileURLToPath(source))});`,
    eval: true,
  };
}
