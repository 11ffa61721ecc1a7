/**
 * When an image was created: the image config's `created` and the OCI annotation
 * `org.opencontainers.image.created` on its manifest (or index), whichever is later, and for a
 * multi-platform index the newest of its platform images (attestation manifests, which carry no
 * platform, are skipped). Reproducible builds often set `created` to the epoch; the annotation,
 * when present, then still tells the real time, hence the later of the two.
 */
import * as z from "zod/mini";
import { checkJson } from "./checked-json.js";
import type { ContentManifest, ContentReader } from "./content-reader.js";

export const CREATED_ANNOTATION = "org.opencontainers.image.created";

const ConfigBody = z.object({ created: z.optional(z.nullable(z.string())) });

/** An index never holds more platforms than this in practice; more are not read. */
const MAX_PLATFORMS = 16;

export interface CreatedFact {
  /** ms since the epoch, undefined when the image says nothing usable. */
  createdAt?: number;
  /** Why there is no time. */
  reason?: string;
}

function parseTime(s: string | null | undefined): number | undefined {
  if (!s) return undefined;
  // RFC 3339 only: Date.parse accepts far more, and a vague date must not win a selection.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

const later = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

async function imageCreated(reader: ContentReader, m: ContentManifest): Promise<number | undefined> {
  let t = parseTime(m.annotations?.[CREATED_ANNOTATION]);
  if (m.config) {
    const checked = checkJson(ConfigBody, (await reader.blob(m.config.digest)).toString("utf8"));
    if (checked.ok) t = later(t, parseTime(checked.value.created));
  }
  return t;
}

/** The created time of the image (or index) at `digest`. @throws RegistryError */
export async function readCreated(reader: ContentReader, digest: string): Promise<CreatedFact> {
  const m = await reader.manifest(digest);
  let t: number | undefined;
  if (m.manifests) {
    t = parseTime(m.annotations?.[CREATED_ANNOTATION]);
    const platforms = m.manifests
      .filter((d) => d.platform && d.platform.os !== "unknown")
      .slice(0, MAX_PLATFORMS);
    for (const d of platforms) t = later(t, await imageCreated(reader, await reader.manifest(d.digest)));
  } else t = await imageCreated(reader, m);
  return t === undefined ? { reason: "the image has no created time" } : { createdAt: t };
}
