/**
 * Every page the dashboard serves, for tests that must visit them all (the canary-secrets test,
 * the browser tests): the fixed pages, and one page per ImageRepository, ImagePolicy and
 * ImageUpdateAutomation.
 */
import type { Store } from "../../store/index.js";
import { objectPath } from "./html.js";

/** The pages that exist whatever the store holds. */
export const PAGE_PATHS = ["/", "/repositories", "/policies", "/automations", "/events"] as const;

/** Kinds with a page of their own, and the section it lives under. */
export const OBJECT_SECTIONS = {
  ImageRepository: "repositories",
  ImagePolicy: "policies",
  ImageUpdateAutomation: "automations",
} as const;

/** The fixed pages plus every object page for the objects in `store`. */
export async function allPagePaths(store: Store): Promise<string[]> {
  const paths: string[] = [...PAGE_PATHS];
  for (const [kind, section] of Object.entries(OBJECT_SECTIONS) as [keyof typeof OBJECT_SECTIONS, string][]) {
    for (const o of await store.list(kind))
      paths.push(objectPath(section, o.metadata.namespace, o.metadata.name));
  }
  return paths;
}
