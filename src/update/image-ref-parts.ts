import { imageRefString } from "./marker.js";
import type { LatestRef } from "./types.js";

/** Offsets of the parts of an image reference `name[:tag][@digest]` within one token. */
export interface RefParts {
  nameEnd: number;
  /** Start of the tag after `:`, or undefined when the token has no tag. */
  tagStart?: number;
  tagEnd: number;
  /** Start of the digest after `@`, or undefined when the token has none. */
  digestStart?: number;
}

// What a reference or one of its parts may contain: no quotes, spaces, `$` or `{`, so a
// variable (`${BASE}`) or other text is never mistaken for an image and rewritten.
const REF_CHARS = /^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$/;

/** The parts of `token`, or undefined when it is not an image reference (or part of one). */
export function refParts(token: string): RefParts | undefined {
  if (!REF_CHARS.test(token)) return undefined;
  const at = token.indexOf("@");
  const nameAndTag = at < 0 ? token : token.slice(0, at);
  const colon = nameAndTag.lastIndexOf(":");
  // A colon before the last slash is a registry port (`host:5000/app`), not a tag.
  const hasTag = colon > nameAndTag.lastIndexOf("/");
  return {
    nameEnd: hasTag ? colon : nameAndTag.length,
    tagStart: hasTag ? colon + 1 : undefined,
    tagEnd: nameAndTag.length,
    digestStart: at < 0 ? undefined : at + 1,
  };
}

/**
 * The new text of `token` for a setter writing `part` of `ref`, and the part's old and new
 * values; undefined when the token is not a reference. A token that holds only the part the
 * setter names (`ARG TAG=1.2 # {"$imagepolicy": "ns:app:tag"}`) is replaced whole; in a full
 * reference (`FROM app:1.2@sha256:… # {"$imagepolicy": "ns:app:tag"}`) only that part changes.
 */
export function setRefPart(
  token: string,
  part: "name" | "tag" | "digest" | undefined,
  ref: LatestRef,
): { text: string; oldValue: string; newValue: string } | undefined {
  const p = refParts(token);
  if (!p) return undefined;
  const whole = (newValue: string) => ({ text: newValue, oldValue: token, newValue });
  const replace = (start: number, end: number, newValue: string) => ({
    text: token.slice(0, start) + newValue + token.slice(end),
    oldValue: token.slice(start, end),
    newValue,
  });
  switch (part) {
    case undefined:
      return whole(imageRefString(ref));
    case "name":
      return p.tagStart === undefined && p.digestStart === undefined
        ? whole(ref.name)
        : replace(0, p.nameEnd, ref.name);
    case "tag":
      if (p.tagStart === undefined) return p.digestStart === undefined ? whole(ref.tag) : undefined;
      return replace(p.tagStart, p.tagEnd, ref.tag);
    case "digest": {
      const digest = ref.digest ?? "";
      if (p.digestStart !== undefined) {
        // Flux blanks a digest the policy does not reflect; here the `@` goes with it.
        if (digest === "") {
          return {
            text: token.slice(0, p.digestStart - 1),
            oldValue: token.slice(p.digestStart),
            newValue: "",
          };
        }
        return replace(p.digestStart, token.length, digest);
      }
      if (token.startsWith("sha256:")) return whole(digest);
      if (digest === "") return { text: token, oldValue: "", newValue: "" };
      return { text: `${token}@${digest}`, oldValue: "", newValue: digest };
    }
  }
}
