// The OCI digest grammar (image-spec descriptor.md): algorithm ":" encoded.
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;

/** Is `s` a content digest (and, for sha256, 64 lower-case hex digits)? */
export function isDigest(s: string): boolean {
  return DIGEST.test(s) && (!s.startsWith("sha256:") || SHA256.test(s));
}
