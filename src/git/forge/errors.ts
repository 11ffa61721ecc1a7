/**
 * How a failed forge call is reported, in one place for bootstrap and pull requests: the call,
 * the HTTP status when the forge answered, else "timed out" or the first line of the cause,
 * clipped, and never the token (Octokit and Gitbeaker may echo a request in their messages).
 * No SDK import here, so code that only needs the error type does not load a forge client.
 */

/** A forge call failed or cannot be made; the message names the call and never the token. */
export class ForgeError extends Error {
  override name = "ForgeError";
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Longest cause kept in a message: statuses and events stay readable. */
const MAX_DETAIL = 200;

/** The HTTP status of a failed Octokit, Gitbeaker or fetch call, if it got an answer. */
export function forgeStatus(err: unknown): number | undefined {
  if (!err || typeof err !== "object") return undefined;
  const e = err as { status?: unknown; cause?: { response?: { status?: unknown } } };
  if (typeof e.status === "number") return e.status;
  const s = e.cause?.response?.status;
  return typeof s === "number" ? s : undefined;
}

/** A ForgeError for a failed `call`: its status and the forge's own first line, without `token`. */
export function forgeFailure(call: string, err: unknown, token?: string): ForgeError {
  const status = forgeStatus(err);
  const e = err as { name?: unknown; message?: unknown } | null;
  const timedOut = e?.name === "TimeoutError" || e?.name === "AbortError";
  let detail = timedOut
    ? "timed out"
    : (typeof e?.message === "string" ? e.message : String(err)).split("\n")[0]!.slice(0, MAX_DETAIL);
  if (token) detail = detail.split(token).join("***");
  const statusText = status !== undefined ? ` (HTTP ${status})` : "";
  // A bare "HTTP 422" cause adds nothing to the status already shown.
  const tail = detail === `HTTP ${status}` ? "" : `: ${detail}`;
  return new ForgeError(`${call} failed${statusText}${tail}`, status);
}
