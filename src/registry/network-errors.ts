// Errors that mean "this port speaks TLS but we do not trust it": report, do not downgrade.
const CERT_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i;
// A TLS alert from the server (e.g. "certificate required" for mTLS) is its refusal, not our distrust.
const TLS_ALERT = /ALERT/i;

/** The first Node error code along the cause chain (not ABORT_ERR), else the error's name. */
export function errorCode(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e instanceof Error; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code !== "ABORT_ERR") return code;
    e = e.cause;
  }
  return err instanceof Error ? err.name : "error";
}

/** Code and message of a failed exchange, for the classifications below. */
export function errorDetail(err: unknown): string {
  return `${errorCode(err)} ${err instanceof Error ? err.message : ""}`;
}

/** Did the TLS handshake fail because we do not trust the certificate (not because the server refused us)? */
export function isUntrustedCertificate(detail: string): boolean {
  return CERT_ERROR.test(detail) && !TLS_ALERT.test(detail);
}
