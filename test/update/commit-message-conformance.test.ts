import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Change,
  commitTemplateData,
  DEFAULT_COMMIT_MESSAGE,
  type ObjectChanges,
  pushSummary,
  RemovedTemplateFieldError,
  type ResourceIdentifier,
  renderCommitMessage,
  validateCommitTemplate,
} from "../../src/update/index.js";

interface Vectors {
  cases: {
    name: string;
    template: string;
    data: {
      automationObject: { namespace: string; name: string };
      changed: ({ file: string; object: ResourceIdentifier } & Change)[];
      values: Record<string, string> | null;
    };
    expectedMessage?: string;
    expectedContains?: string[];
    expectError?: boolean;
    expectedErrorContains?: string;
  }[];
  pushSummaryCases: {
    name: string;
    rev: string;
    branch: string;
    commitMessage: string;
    refspecs: string[];
    expectedSummary?: string;
    expectError?: boolean;
  }[];
}

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, "../fixtures/conformance/commit-message-vectors.json"), "utf8"),
) as Vectors;

/** Groups the flat change list as the schema says: file → object → changes in list order. */
function fileChanges(changed: Vectors["cases"][number]["data"]["changed"]): Map<string, ObjectChanges[]> {
  const out = new Map<string, ObjectChanges[]>();
  for (const { file, object, oldValue, newValue, setter } of changed) {
    const list = out.get(file) ?? [];
    let group = list.find((g) => JSON.stringify(g.object) === JSON.stringify(object));
    if (!group) {
      group = { object, changes: [] };
      list.push(group);
    }
    group.changes.push({ oldValue, newValue, setter });
    out.set(file, list);
  }
  return out;
}

describe("commit message vectors (upstream fluxcd)", () => {
  expect(DEFAULT_COMMIT_MESSAGE).toBe("Update from image update automation");
  for (const c of vectors.cases) {
    it(c.name, () => {
      const data = commitTemplateData(
        c.data.automationObject,
        { fileChanges: fileChanges(c.data.changed) },
        c.data.values ?? undefined,
      );
      if (c.expectError) {
        expect(() => renderCommitMessage(c.template, data)).toThrow(RemovedTemplateFieldError);
        expect(() => renderCommitMessage(c.template, data)).toThrow(c.expectedErrorContains);
        expect(() => validateCommitTemplate(c.template)).toThrow(RemovedTemplateFieldError);
        return;
      }
      const message = renderCommitMessage(c.template, data);
      if (c.expectedMessage !== undefined) expect(message).toBe(c.expectedMessage);
      for (const part of c.expectedContains ?? []) expect(message).toContain(part);
      expect(() => validateCommitTemplate(c.template)).not.toThrow();
    });
  }
});

describe("push summary vectors (upstream fluxcd)", () => {
  for (const c of vectors.pushSummaryCases) {
    it(c.name, () => {
      if (c.expectError) {
        expect(() => pushSummary(c.rev, c.branch, c.commitMessage, c.refspecs)).toThrow(/revision/);
      } else {
        expect(pushSummary(c.rev, c.branch, c.commitMessage, c.refspecs)).toBe(c.expectedSummary);
      }
    });
  }
});
