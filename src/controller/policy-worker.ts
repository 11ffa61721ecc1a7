/**
 * The worker-thread side of the policy evaluation pool (policy-pool.ts): answers each job with
 * evaluatePolicy's plain-data result. Loaded only inside a worker, by the entry the process
 * edge provides (src/cli/launcher/policy-worker-main.ts), which first hands the policy engine
 * its linear-regexp switch: V8's flags are per process, but the engine's switch is per thread.
 */
import { parentPort } from "node:worker_threads";
import { type EvaluationRequest, type EvaluationResult, evaluatePolicy } from "../policy/index.js";

/** pool → worker. `tags` joined by "\n" when no tag holds one (cheaper to copy than an array). */
export interface PolicyJob {
  id: number;
  request: EvaluationRequest;
  tags: readonly string[] | string;
}

/** worker → pool: the result, or the message of an unexpected error (a bug). */
export type PolicyJobReply = { id: number; result: EvaluationResult } | { id: number; crash: string };

export function tagsOfJob(tags: PolicyJob["tags"]): readonly string[] {
  if (typeof tags !== "string") return tags;
  return tags === "" ? [] : tags.split("\n");
}

/** Serves jobs from the parent thread until the pool terminates this worker. */
export function servePolicyEvaluations(): void {
  const port = parentPort;
  if (!port) throw new Error("servePolicyEvaluations: not running in a worker thread");
  port.on("message", (job: PolicyJob) => {
    const startedAt = performance.now();
    let reply: PolicyJobReply;
    try {
      reply = { id: job.id, result: evaluatePolicy(job.request, tagsOfJob(job.tags), startedAt) };
    } catch (err) {
      reply = { id: job.id, crash: err instanceof Error ? err.message : String(err) };
    }
    port.postMessage(reply);
  });
}
