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
