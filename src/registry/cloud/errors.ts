import { CredentialsError } from "../errors.js";

/**
 * A cloud would not mint registry credentials (no identity found, access denied, the token
 * service unreachable or too slow). A CredentialsError, so the repository is Ready=False with
 * reason AuthenticationFailed; the cloud's own words are kept, scrubbed of anything token-like.
 */
export class CloudAuthError extends CredentialsError {
  override name = "CloudAuthError";
}

// Shapes of bearer material a cloud SDK may echo: JWTs (Entra ID, ACR refresh tokens, projected
// service-account tokens), Google OAuth access tokens, and long opaque runs (ECR's base64
// authorization token, secret keys) — a run counts as opaque when it mixes digits with upper
// and lower case, which words, ARNs and documentation URLs do not.
const JWT = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.?[A-Za-z0-9_-]*/g;
const GOOGLE_TOKEN = /ya29\.[A-Za-z0-9_.-]+/g;
const LONG_RUN = /[A-Za-z0-9+/_-]{40,}={0,2}/g;
const opaque = (run: string): boolean => /[0-9]/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run);
const MAX_MESSAGE = 400;

/** `text` without the given secret values or anything shaped like a token, on one line, clipped. */
export function scrubCloudMessage(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("[redacted]");
  out = out.replace(JWT, "[redacted]").replace(GOOGLE_TOKEN, "[redacted]");
  out = out.replace(LONG_RUN, (run) => (opaque(run) ? "[redacted]" : run));
  out = out.replace(/\s+/g, " ").trim();
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}…` : out;
}

/** The message of whatever an SDK threw, scrubbed; its error name first when it says more. */
export function describeCloudError(err: unknown, secrets: readonly string[] = []): string {
  if (!(err instanceof Error)) return scrubCloudMessage(String(err), secrets);
  const name = err.name && err.name !== "Error" ? `${err.name}: ` : "";
  return scrubCloudMessage(`${name}${err.message || "no message"}`, secrets);
}

/** The repository's timeout ran out while a cloud was minting credentials. */
export class CloudTimeoutError extends Error {
  override name = "CloudTimeoutError";
}

/**
 * `work` bounded by `signal`: SDK calls that take no signal (or take it for the HTTP request but
 * not for their credential discovery) still end the scan on time; the late answer is dropped.
 */
export function withinSignal<T>(signal: AbortSignal, what: string, work: () => Promise<T>): Promise<T> {
  const late = (): CloudTimeoutError => new CloudTimeoutError(`${what} did not answer within spec.timeout`);
  if (signal.aborted) return Promise.reject(late());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(late());
    signal.addEventListener("abort", onAbort, { once: true });
    work().then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(signal.aborted ? late() : e);
      },
    );
  });
}
