import { describe, expect, it } from "vitest";
import * as z from "zod/mini";
import { CorruptRowError } from "../../src/store/index.js";
import { checkJson, checkRow, rowShape } from "../../src/store/row-check.js";

const OWNER = { kind: "ImageRepository", namespace: "flux-system", name: "app" };

describe("row checks", () => {
  it("reject the same rows once compiled as before", () => {
    const shape = rowShape(() => z.object({ id: z.int(), name: z.string() }));
    const bad = () =>
      checkRow(shape, { id: "1", name: "app", namespace: "flux-system" }, "things", { kind: "Thing" });
    const message =
      "corrupt row in table things for Thing 'flux-system/app': id: expected number, found string";
    expect(bad).toThrow(CorruptRowError);
    expect(bad).toThrow(message);
    // Enough good rows for the shape to compile itself.
    for (let i = 0; i < 2_000; i++) checkRow(shape, { id: i, name: `n${i}` }, "things");
    expect(bad).toThrow(CorruptRowError);
    expect(bad).toThrow(message);
  });

  it("check a large JSON array element by element, compiled or not", () => {
    const tags = rowShape(() => z.array(z.string()));
    const good = JSON.stringify(Array.from({ length: 5_000 }, (_, i) => `1.0.${i}`));
    const bad = JSON.stringify(["1.0.0", "1.0.1", null]);
    for (let round = 0; round < 2; round++) {
      expect(checkJson(tags, good, "repository_tags", OWNER, "tags")).toHaveLength(5_000);
      expect(() => checkJson(tags, bad, "repository_tags", OWNER, "tags")).toThrow(
        "corrupt row in table repository_tags for ImageRepository 'flux-system/app': tags[2]: expected string, found null",
      );
    }
  });

  it("return the parsed value itself, keys and order as stored", () => {
    const obj = rowShape(() => z.looseObject({}));
    const text = '{"z": 1, "a": {"b": [1, 2]}, "extra": true}';
    expect(Object.keys(checkJson(obj, text, "objects", OWNER, "spec"))).toEqual(["z", "a", "extra"]);
  });
});
