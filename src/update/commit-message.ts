import {
  executeTemplate,
  GO_STRING,
  GO_TYPE,
  goMap,
  parseTemplate,
  rootFieldChains,
} from "../template/index.js";
import type { Change, ResourceIdentifier, UpdateResult } from "./types.js";

export { PushSummaryError, pushSummary } from "./push-summary.js";

/** Flux's message when `messageTemplate` is empty (no trailing newline). */
export const DEFAULT_COMMIT_MESSAGE = "Update from image update automation";

const TEMPLATE_NAME = "commit message";

/** The template uses a field Flux removed (`.Updated`, `.Changed.ImageResult`); Flux stalls on it. */
export class RemovedTemplateFieldError extends Error {
  override name = "RemovedTemplateFieldError";
}

type GoResourceId = { APIVersion: string; Kind: string; Name: string; Namespace: string };
type GoChange = { OldValue: string; NewValue: string; Setter: string };

function goResourceId(o: ResourceIdentifier): GoResourceId {
  // Field order is kyaml ResourceIdentifier's, which is how Go orders these map keys.
  return {
    APIVersion: o.apiVersion,
    Kind: o.kind,
    Name: o.name,
    Namespace: o.namespace,
    [GO_TYPE]: "yaml.ResourceIdentifier",
  } as GoResourceId;
}

function goChange(c: Change): GoChange {
  return {
    OldValue: c.oldValue,
    NewValue: c.newValue,
    Setter: c.setter,
    [GO_TYPE]: "update.Change",
  } as GoChange;
}

function resourceKey(o: ResourceIdentifier): string {
  return JSON.stringify([o.apiVersion, o.kind, o.name, o.namespace]);
}

/**
 * Flux's template data: `.AutomationObject` (prints `namespace/name`), `.Changed.FileChanges`
 * (path → object → changes), `.Changed.Objects` (object → changes across files),
 * `.Changed.Changes` (de-duplicated) and `.Values`.
 */
export function commitTemplateData(
  automation: { namespace: string; name: string },
  result: Pick<UpdateResult, "fileChanges">,
  values?: Record<string, string>,
): unknown {
  const fileChanges = goMap<unknown>([], null);
  const objects = new Map<string, { id: GoResourceId; changes: GoChange[] }>();
  const changes: GoChange[] = [];
  const seen = new Set<string>();
  for (const [path, perObject] of result.fileChanges) {
    const byObject = goMap<unknown>([], null);
    for (const { object, changes: list } of perObject) {
      const key = resourceKey(object);
      let entry = objects.get(key);
      if (!entry) {
        entry = { id: goResourceId(object), changes: [] };
        objects.set(key, entry);
      }
      const goList = list.map(goChange);
      byObject.set(entry.id, goList);
      entry.changes.push(...goList);
      for (const c of list) {
        const k = JSON.stringify([c.oldValue, c.newValue, c.setter]);
        if (!seen.has(k)) {
          seen.add(k);
          changes.push(goChange(c));
        }
      }
    }
    fileChanges.set(path, byObject);
  }
  return {
    AutomationObject: {
      Namespace: automation.namespace,
      Name: automation.name,
      [GO_STRING]() {
        return `${automation.namespace}/${automation.name}`;
      },
      [GO_TYPE]: "types.NamespacedName",
    },
    Changed: {
      FileChanges: fileChanges,
      Objects: goMap(
        [...objects.values()].map((o) => [o.id, o.changes] as const),
        null,
      ),
      Changes: changes,
      [GO_TYPE]: "update.ResultV2",
    },
    Values: goMap(Object.entries(values ?? {}), ""),
    [GO_TYPE]: "source.TemplateData",
  };
}

function checkRemovedFields(template: string): void {
  for (const chain of rootFieldChains(parseTemplate(TEMPLATE_NAME, template))) {
    if (chain[0] === "Updated") throw new RemovedTemplateFieldError("template uses removed '.Updated' field");
    if (chain[0] === "Changed" && chain[1] === "ImageResult") {
      throw new RemovedTemplateFieldError("template uses removed '.Changed.ImageResult' field");
    }
  }
}

/** Checks a template at create/apply time: it must parse and not use removed fields. */
export function validateCommitTemplate(template: string): void {
  if (template === "") return;
  checkRemovedFields(template);
}

/** Renders the commit message; the default message when the template is empty or absent. */
export function renderCommitMessage(template: string | undefined, data: unknown): string {
  if (!template) return DEFAULT_COMMIT_MESSAGE;
  checkRemovedFields(template);
  return executeTemplate(parseTemplate(TEMPLATE_NAME, template), data);
}

/** Renders another write-back template (pull-request branch, title, body) over the same data. */
export function renderWriteBackTemplate(name: string, template: string, data: unknown): string {
  return executeTemplate(parseTemplate(name, template), data);
}
