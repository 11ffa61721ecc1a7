/** A push summary was asked for without a pushed revision. */
export class PushSummaryError extends Error {
  override name = "PushSummaryError";
}

/**
 * Flux's event text after a push:
 * `pushed commit '<rev7>' to branch '<branch>'[ and refspecs 'a', 'b'][\n<message>]`.
 */
export function pushSummary(
  rev: string,
  branch: string,
  commitMessage: string,
  refspecs: readonly string[] = [],
): string {
  if (rev === "") throw new PushSummaryError("push summary needs the pushed revision");
  let out = `pushed commit '${rev.slice(0, 7)}' to branch '${branch}'`;
  if (refspecs.length > 0) out += ` and refspecs ${refspecs.map((r) => `'${r}'`).join(", ")}`;
  if (commitMessage !== "") out += `\n${commitMessage}`;
  return out;
}
