// Entry of a policy evaluation worker thread (src/controller/policy-pool.ts): bundled as
// dist/cli/imagectl-policy-worker.cjs by scripts/bundle.mjs, found by src/cli/policy-worker-file.ts.
// V8's linear-regexp flags are process-wide, but the policy engine's switch is per thread: without
// it every pattern would run on re2js (linear too, but ~7x slower).
import { servePolicyEvaluations } from "../../controller/policy-worker.js";
import { useLinearRegexpEngine } from "../../policy/index.js";
import { turnOnLinearRegexpEngine } from "./regexp-flags.js";

useLinearRegexpEngine(turnOnLinearRegexpEngine);
servePolicyEvaluations();
