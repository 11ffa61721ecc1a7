import { describe, expect, it } from "vitest";
import { applySetters, type LatestRef } from "../../src/update/index.js";

const refs = new Map<string, LatestRef>([
  ["ns:app", { name: "ghcr.io/org/app", tag: "2.0.0" }],
  ["ns:dig", { name: "ghcr.io/org/app", tag: "2.0.0", digest: "sha256:abc123" }],
  ["ns:num", { name: "r/num", tag: "1.10" }],
]);

/** Applies setters and checks the output bytes against the input with only `edits` replaced. */
function expectEdited(input: string, edits: [string, string][]): void {
  let expected = input;
  for (const [from, to] of edits) expected = expected.replace(from, to);
  const out = applySetters(input, refs);
  expect(out.problems).toEqual([]);
  expect(Buffer.from(out.text, "utf8").equals(Buffer.from(expected, "utf8"))).toBe(true);
}

const M = (s: string) => `# {"$imagepolicy": "${s}"}`;

describe("setters edit only the marked scalar's bytes", () => {
  it("keeps CRLF line endings, a BOM and the missing final newline", () => {
    const input = `\uFEFFapiVersion: v1\r\nkind: Pod\r\n\r\nspec:\r\n  image: ghcr.io/org/app:1.0.0 ${M("ns:app")}`;
    expectEdited(input, [["app:1.0.0", "app:2.0.0"]]);
  });

  it("keeps blank lines, comments, block and folded scalars, flow collections and tabs", () => {
    const input = [
      "# head comment",
      "kind: Deployment   # trailing",
      "",
      "data:",
      "  script: |",
      "    echo  hi   ",
      "",
      "  folded: >-",
      "    long",
      "    text",
      "  flow: {a: 1, b: [x, y]}   # flow",
      "  seq: [ 1,2 ]",
      "spec:",
      `  image: ghcr.io/org/app:1.0.0\t${M("ns:app")}`,
      "  # between",
      `  tag: "1.0.0" ${M("ns:app:tag")}`,
      `  name: 'old' ${M("ns:app:name")}`,
      "  emoji: 🚀 ünïcode",
      "",
    ].join("\n");
    expectEdited(input, [
      ["app:1.0.0\t", "app:2.0.0\t"],
      ['"1.0.0"', '"2.0.0"'],
      ["'old'", "'ghcr.io/org/app'"],
    ]);
  });

  it("writes name:tag@digest for a digest-reflecting policy and :digest alone", () => {
    const input = `a: x ${M("ns:dig")}\nb: sha256:old ${M("ns:dig:digest")}\nc: keep ${M("ns:app:digest")}\n`;
    const out = applySetters(input, refs);
    expect(out.text).toBe(
      `a: ghcr.io/org/app:2.0.0@sha256:abc123 ${M("ns:dig")}\nb: sha256:abc123 ${M("ns:dig:digest")}\nc: "" ${M("ns:app:digest")}\n`,
    );
  });

  it("double-quotes plain values that would re-read as non-strings", () => {
    const input = `tag: v1 ${M("ns:num:tag")}\n`;
    expect(applySetters(input, refs).text).toBe(`tag: "1.10" ${M("ns:num:tag")}\n`);
  });

  it("edits inside flow maps and sequences, quoting where flow syntax needs it", () => {
    const input = `imgs: [a:1 ${M("ns:app")}\n  ]\nm: {tag: v1 ${M("ns:app:tag")}\n  }\n`;
    const out = applySetters(input, refs);
    expect(out.text).toBe(
      `imgs: ["ghcr.io/org/app:2.0.0" ${M("ns:app")}\n  ]\nm: {tag: 2.0.0 ${M("ns:app:tag")}\n  }\n`,
    );
  });

  it("handles multi-document files with `...` and records each document's object", () => {
    const input = [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: {name: one, namespace: ns1}",
      `image: a:1 ${M("ns:app")}`,
      "...",
      "---",
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: two",
      `image: a:1 ${M("ns:app:tag")}`,
      "",
    ].join("\n");
    const out = applySetters(input, refs);
    expect(
      out.changes.map((c) => [c.object.kind, c.object.name, c.object.namespace, c.change.newValue]),
    ).toEqual([
      ["Deployment", "one", "ns1", "ghcr.io/org/app:2.0.0"],
      ["Pod", "two", "", "2.0.0"],
    ]);
    expect(out.text).toBe(input.replace("a:1 #", "ghcr.io/org/app:2.0.0 #").replace("a:1 #", "2.0.0 #"));
  });

  it("updates top-level sequences (Flux skips them) with empty object ids", () => {
    const input = `- image: a:1 ${M("ns:app")}\n- b\n`;
    const out = applySetters(input, refs);
    expect(out.text).toBe(`- image: ghcr.io/org/app:2.0.0 ${M("ns:app")}\n- b\n`);
    expect(out.changes[0]?.object).toEqual({ apiVersion: "", kind: "", name: "", namespace: "" });
  });

  it("reads a marker from the head comment of a sequence item", () => {
    const input = `images:\n  # ${M("ns:app").slice(2)}\n  - a:1\n`;
    expect(applySetters(input, refs).text).toBe(
      `images:\n  # ${M("ns:app").slice(2)}\n  - ghcr.io/org/app:2.0.0\n`,
    );
  });

  it("edits the anchored scalar, which aliases follow", () => {
    const input = `a: &img old:1 ${M("ns:app")}\nb: *img\n`;
    expect(applySetters(input, refs).text).toBe(`a: &img ghcr.io/org/app:2.0.0 ${M("ns:app")}\nb: *img\n`);
  });

  it("ignores comments that are not exactly a marker, and values already current", () => {
    const input = `a: x # {"$imagepolicy": "ns:app"} keep\nb: y\n# ${M("ns:app").slice(2)}\nc: ghcr.io/org/app:2.0.0 ${M("ns:app")}\n`;
    const out = applySetters(input, refs);
    expect(out.text).toBe(input);
    expect(out.changes).toEqual([]);
  });

  it("leaves a marker naming an unknown policy and reports it", () => {
    const input = `a: x ${M("other:policy")}\nb: y ${M("ns:app:bogus")}\n`;
    const out = applySetters(input, refs);
    expect(out.text).toBe(input);
    expect(out.problems.map((p) => p.kind)).toEqual(["unknown-policy", "unknown-policy"]);
  });

  it("reports a marker on a block scalar instead of crashing", () => {
    const input = `a: | ${M("ns:app")}\n  old\n`;
    const out = applySetters(input, refs);
    expect(out.text).toBe(input);
    expect(out.problems).toEqual([expect.objectContaining({ kind: "unsupported-scalar" })]);
  });

  it("reports malformed YAML without changing the text", () => {
    const input = `a: [1, 2\nb: x ${M("ns:app")}\n`;
    const out = applySetters(input, refs);
    expect(out.text).toBe(input);
    expect(out.problems[0]?.kind).toBe("malformed-yaml");
  });
});
