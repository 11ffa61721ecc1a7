import type { ImageRepository } from "../../../src/api/types.js";

/**
 * An ImageRepository in namespace `apps`, suspended: for tests whose daemon has no registry to
 * scan and must only sweep the fact cache.
 */
export function suspendedRepository(name: string, image: string): ImageRepository {
  return {
    apiVersion: "image.toolkit.fluxcd.io/v1",
    kind: "ImageRepository",
    metadata: { name, namespace: "apps" },
    spec: { image, interval: "1h", suspend: true },
  };
}
