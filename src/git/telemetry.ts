/** What git operations report for metrics, on a `node:diagnostics_channel` channel (free without subscribers). */
import { channel } from "node:diagnostics_channel";

export const GIT_OPERATION = "imagectl:git:operation";

export interface GitOperationMessage {
  operation: "fetch" | "clone" | "push" | "ls-remote";
  ok: boolean;
  durationMs: number;
}

const gitChannel = channel(GIT_OPERATION);

export function reportGitOperation(m: GitOperationMessage): void {
  if (gitChannel.hasSubscribers) gitChannel.publish(m);
}

/** Times `work` and reports it as `operation`, success or failure; the result or error passes through. */
export async function timedGitOperation<T>(
  operation: GitOperationMessage["operation"],
  work: () => Promise<T>,
): Promise<T> {
  if (!gitChannel.hasSubscribers) return work();
  const started = performance.now();
  try {
    const out = await work();
    reportGitOperation({ operation, ok: true, durationMs: performance.now() - started });
    return out;
  } catch (err) {
    reportGitOperation({ operation, ok: false, durationMs: performance.now() - started });
    throw err;
  }
}
