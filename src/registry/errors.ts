/** What went wrong, so callers (status conditions, CLI exit codes, retry policy) can branch on it. */
export type RegistryErrorKind =
  | "auth"
  | "not-found"
  | "rate-limited"
  | "unreachable"
  | "bad-response"
  | "timeout"
  | "invalid-reference";

/**
 * Every failure talking to a registry. `image` names what was being scanned; the message
 * never contains credentials (it is built only from the image, status codes and registry
 * error codes, never from request headers).
 */
export class RegistryError extends Error {
  override name = "RegistryError";
  readonly kind: RegistryErrorKind;
  readonly image: string;
  /** HTTP status when the registry answered, else undefined. */
  readonly status: number | undefined;

  constructor(
    kind: RegistryErrorKind,
    image: string,
    message: string,
    opts: { status?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.kind = kind;
    this.image = image;
    this.status = opts.status;
  }
}

/** `image` is not a repository reference Flux would accept (scheme, tag, digest, bad syntax). */
export class InvalidImageReferenceError extends RegistryError {
  override name = "InvalidImageReferenceError";
  constructor(image: string, problem: string) {
    super("invalid-reference", image, `invalid image reference "${image}": ${problem}`);
  }
}

/** A Docker config or credential helper could not produce credentials; never carries the secret. */
export class CredentialsError extends RegistryError {
  override name = "CredentialsError";
  constructor(image: string, message: string, cause?: unknown) {
    super("auth", image, message, { cause });
  }
}
