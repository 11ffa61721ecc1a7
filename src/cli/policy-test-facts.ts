/**
 * `policy test` with the fact-based rules (--select-newest, --min-age, --verify): reads the
 * ranked candidates' created times and signatures from the registry (nothing cached: a test run
 * touches no store) and explains every verdict, including which tags wait and until when.
 */
import type { SelectionOptions } from "../api/selection-annotations.js";
import type { FactChoice, Selection } from "../policy/index.js";
import type { ScanOptions } from "../registry/index.js";
import type { KeylessPolicy } from "../registry/keyless.js";
import { CommandFailedError, UsageError } from "./errors.js";
import type { CliContext } from "./io.js";

export async function reportWithFacts(
  ctx: CliContext,
  image: string,
  scan: ScanOptions,
  selection: Selection,
  options: SelectionOptions,
  top: number,
  output: "text" | "json",
  describeCounts: (c: Selection["counts"]) => string,
  trustedRoot?: string,
): Promise<void> {
  const registry = await import("../registry/index.js");
  const { factRulesOf, gatherFacts, parsePublicKey, SelectionInputError } = await import(
    "../controller/policy-inputs.js"
  );
  const { chooseWithFacts, describeVerdict } = await import("../policy/index.js");
  const now = Date.now();
  const rules = factRulesOf(options, now);
  const ref = registry.parseImageReference(image, { insecure: scan.insecure === true });
  const reader = new registry.ContentReader(ref, scan);
  let keys: ReturnType<typeof parsePublicKey>[] = [];
  let keyless: KeylessPolicy | undefined;
  try {
    const k = options.verify?.keyless;
    if (k)
      keyless = await (await import("../controller/keyless-inputs.js")).keylessPolicyFromFile(k, trustedRoot);
    else keys = (options.verify?.publicKeys ?? []).map((pem) => parsePublicKey(pem, "--verify-key"));
  } catch (err) {
    if (err instanceof SelectionInputError) throw new UsageError(err.message);
    throw err;
  }
  let choice: FactChoice;
  try {
    const got = await gatherFacts(
      { reader, image: ref.canonicalName, keys, ...(keyless ? { keyless } : {}), now },
      selection.candidates,
      rules,
      options.maxReads,
    );
    choice = chooseWithFacts(selection.candidates, got.facts, rules);
  } catch (err) {
    if (err instanceof registry.RegistryError)
      throw new CommandFailedError(err.kind === "timeout" ? `${err.message} (--timeout)` : err.message);
    throw err;
  }
  const latest = choice.undetermined ? undefined : choice.latest;
  const shown = choice.judged.filter((j) => j.verdict.state !== "unknown" || j === choice.latest);
  if (output === "json") {
    ctx.io.out(
      `${JSON.stringify({
        latest: latest?.tag ?? null,
        candidates: shown.slice(0, top).map((j) => ({
          tag: j.tag,
          value: j.value,
          ...(j.digest ? { digest: j.digest } : {}),
          ...(j.createdAt !== undefined ? { created: new Date(j.createdAt).toISOString() } : {}),
          verdict: describeVerdict(j.verdict),
        })),
        counts: selection.counts,
        requests: reader.requests,
      })}\n`,
    );
  } else {
    let out = `${latest?.tag ?? "no tag selected"}\n\n${describeCounts(selection.counts)}`;
    const rows = shown.slice(0, top);
    if (rows.length) {
      const width = Math.max(...rows.map((j) => j.tag.length));
      out += `\ntop ${rows.length} candidates (${options.newest ? "newest first" : "best first"}):\n`;
      rows.forEach((j, i) => {
        const created =
          j.createdAt !== undefined ? new Date(j.createdAt).toISOString().replace(/\.000Z$/, "Z") : "-";
        out += `${String(i + 1).padStart(4)}  ${j.tag.padEnd(width)}  ${created.padEnd(20)}  ${describeVerdict(j.verdict)}\n`;
      });
    }
    const unread = choice.judged.length - shown.length;
    if (unread > 0) out += `\n${unread} lower-ranked candidate(s) not read (not needed to decide)\n`;
    out += `registry requests: ${reader.requests}\n`;
    ctx.io.out(out);
  }
  if (choice.undetermined)
    throw new CommandFailedError(`not every candidate could be read within --max-reads ${options.maxReads}`);
  if (!latest) throw new CommandFailedError("no candidate passed the selection rules");
}
