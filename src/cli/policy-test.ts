import type { Command } from "commander";
import { needsImageFacts, type SelectionOptions } from "../api/selection-annotations.js";
import { DEFAULT_NAMESPACE, IMAGE_API_V1, type ImageRepository } from "../api/types.js";
import { DEFAULT_POLICY_TIMEOUT_MS } from "../policy/deadline.js";
import { describeCounts, describeSelection } from "../policy/explain-text.js";
import type {
  ExclusionPredicate,
  PolicyChoice,
  Selection,
  TagFilterSpec,
  TagSelector,
} from "../policy/index.js";
import type { ScanOptions } from "../registry/index.js";
import { CommandFailedError, UsageError } from "./errors.js";
import type { CliContext } from "./io.js";
import { readTags, type TagSource } from "./policy-test-tags.js";
import { positiveDuration } from "./positive-duration.js";
import { addSelectionOptions, type SelectionFlags, selectionOptionsOf } from "./selection-flags.js";

interface PolicyTestFlags extends SelectionFlags {
  tagsFile?: string;
  image?: string;
  insecure?: boolean;
  secretRef?: string;
  selectSemver?: string;
  selectNumeric?: string;
  selectAlpha?: string;
  filterRegex?: string;
  filterExtract?: string;
  exclusionList?: string[];
  top: string;
  output: string;
  policyTimeout: string;
}

/** How long the command may take (global `--timeout`) and the selection within it. */
interface Limits {
  /** `--timeout`, and the Date.now() by which the command gives up. */
  timeoutMs: number;
  until: number;
  /** `--policy-timeout`, as the daemon applies it. */
  selectionMs: number;
}

/** Spec field of the policy engine → the flag that set it, for exit-2 messages. */
const FLAG_OF_FIELD: [RegExp, string][] = [
  [/^spec\.filterTags\.pattern$/, "--filter-regex"],
  [/^spec\.filterTags\.extract$/, "--filter-extract"],
  [/^spec\.policy\.semver/, "--select-semver"],
  [/^spec\.policy\.numerical/, "--select-numeric"],
  [/^spec\.policy\.alphabetical/, "--select-alpha"],
  [/^spec\.exclusionList/, "--exclusion-list"],
  [/^spec\.policy$/, "--select-*"],
  [/^prereleaseOrder$/, "--prerelease-order"],
];

/**
 * `imagectl policy test`: runs a policy over a list of tags and explains the pick.
 * `tagSource` is swappable so a registry-backed `--image` can reuse everything else.
 */
export function registerPolicyTest(
  program: Command,
  ctx: CliContext,
  tagSource: TagSource = readTags,
): Command {
  const policy =
    program.commands.find((c) => c.name() === "policy") ??
    program.command("policy").description("work with image policies without a cluster");
  const test = policy
    .command("test")
    .description("select the latest tag from a list of tags with a Flux ImagePolicy and explain why")
    .option("--tags-file <file>", "file with one tag per line ('-' reads stdin)")
    .option("--image <ref>", "read the tags live from this image repository, e.g. ghcr.io/org/app")
    .option("--insecure", "with --image: allow plain HTTP to a non-loopback registry")
    .option(
      "--secret-ref <name>",
      "with --image: docker-registry secret (imagectl create secret) to authenticate with",
    )
    .option("--select-semver <range>", "semver range (Masterminds syntax, as Flux)")
    .option("--select-numeric <order>", "numerical ordering: asc (largest wins) or desc")
    .option("--select-alpha <order>", "alphabetical ordering: asc (greatest wins) or desc")
    .option("--filter-regex <regex>", "Go RE2 pattern tags must match (unanchored)")
    .option("--filter-extract <template>", "Go template of the value to compare, e.g. '$ts'")
    .option(
      "--exclusion-list <regex>",
      "exclude tags matching this pattern (repeatable; default: '^.*\\.sig$')",
      collect,
    )
    .option("--top <n>", "how many ranked candidates to show", "10")
    .option("-o, --output <format>", "text or json", "text")
    .option(
      "--policy-timeout <duration>",
      "time limit of the selection, as `serve --policy-timeout` applies it (within --timeout)",
      `${DEFAULT_POLICY_TIMEOUT_MS / 1000}s`,
    );
  return addSelectionOptions(test, { secretRef: false }).action(
    async (flags: PolicyTestFlags, cmd: Command) => {
      await runPolicyTest(flags, ctx, tagSource, cmd);
    },
  );
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function parseChoice(flags: PolicyTestFlags): PolicyChoice {
  const given = [
    flags.selectSemver !== undefined && "--select-semver",
    flags.selectNumeric !== undefined && "--select-numeric",
    flags.selectAlpha !== undefined && "--select-alpha",
  ].filter((f): f is string => f !== false);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? "one of --select-semver, --select-numeric or --select-alpha is required"
        : `only one policy may be given, got ${given.join(" and ")}`,
    );
  }
  if (flags.selectSemver !== undefined) return { semver: { range: flags.selectSemver } };
  const [flag, order] =
    flags.selectNumeric !== undefined
      ? ["--select-numeric", flags.selectNumeric]
      : ["--select-alpha", flags.selectAlpha];
  if (order !== "asc" && order !== "desc")
    throw new UsageError(`${flag}: invalid order '${order}', must be asc or desc`);
  return flags.selectNumeric !== undefined ? { numerical: { order } } : { alphabetical: { order } };
}

async function runPolicyTest(
  flags: PolicyTestFlags,
  ctx: CliContext,
  tagSource: TagSource,
  cmd: Command,
): Promise<void> {
  const output = flags.output;
  if (output !== "text" && output !== "json")
    throw new UsageError(`--output: unknown format '${output}', use text or json`);
  if (!/^[0-9]+$/.test(flags.top))
    throw new UsageError(`--top: '${flags.top}' is not a non-negative integer`);
  const top = Number(flags.top);
  const limits = limitsOf(flags, cmd);
  if (flags.tagsFile === undefined && flags.image === undefined) {
    throw new UsageError("--tags-file (a file, or '-' for stdin) or --image is required");
  }
  if (flags.tagsFile !== undefined && flags.image !== undefined) {
    throw new UsageError("--tags-file and --image cannot be used together");
  }
  if (flags.secretRef !== undefined && flags.image === undefined) {
    throw new UsageError("--secret-ref: only with --image");
  }
  const choice = parseChoice(flags);
  const selectionOptions = selectionOptionsOf(flags);
  const needsImage = needsImageFacts(selectionOptions);
  if (needsImage && flags.image === undefined)
    throw new UsageError("--select-newest, --min-age and --verify read the images: they need --image");
  if (flags.filterExtract !== undefined && flags.filterRegex === undefined) {
    throw new UsageError("--filter-extract: needs --filter-regex to take capture groups from");
  }
  const filter: TagFilterSpec | undefined =
    flags.filterRegex === undefined
      ? undefined
      : { pattern: flags.filterRegex, extract: flags.filterExtract ?? "" };

  // `--image`: the listing starts before the policy engine is loaded, so the registry
  // answers while the engine compiles. A bad flag found meanwhile cancels it.
  const cancelScan = new AbortController();
  let scan: Promise<string[]> | undefined;
  let credentials: ScanOptions["credentials"];
  if (flags.image !== undefined) {
    credentials = flags.secretRef ? await secretCredentials(flags, ctx, cmd) : undefined;
    const { timeoutMs } = limits;
    scan = registryTags(flags.image, flags.insecure === true, ctx, credentials, cancelScan.signal, timeoutMs);
    scan.catch(() => {}); // awaited below; until then a failure must not count as unhandled
  }
  try {
    const facts = needsImage ? { credentials } : undefined;
    await selectAndReport(flags, choice, filter, top, limits, ctx, tagSource, scan, selectionOptions, facts);
  } catch (err) {
    // Only when the listing may still be running (aborting costs Node a lazy DOMException).
    cancelScan.abort();
    throw err;
  }
}

async function selectAndReport(
  flags: PolicyTestFlags,
  choice: PolicyChoice,
  filter: TagFilterSpec | undefined,
  top: number,
  limits: Limits,
  ctx: CliContext,
  tagSource: TagSource,
  scan: Promise<string[]> | undefined,
  selectionOptions: SelectionOptions,
  facts?: { credentials: ScanOptions["credentials"] },
): Promise<void> {
  const output = flags.output;
  // Loaded lazily so that other commands do not pay for the regex/semver engines.
  const engine = await import("../policy/index.js");
  let policy: ReturnType<typeof engine.buildPolicy>;
  let exclude: ExclusionPredicate;
  try {
    policy = engine.buildPolicy(choice, filter, selectionOptions);
    exclude = compileExclusions(engine, flags.exclusionList);
  } catch (err) {
    if (err instanceof engine.PolicySpecError) throw new UsageError(`${flagOf(err.field)}: ${err.message}`);
    throw err;
  }
  let selection: Selection;
  try {
    // The fact-based rules need every candidate ranked, not just the top.
    const rank = facts ? Number.POSITIVE_INFINITY : top;
    // The limit runs from the first tag on (reading a tags file included), as in the daemon.
    const limited = (total: number | undefined): TagSelector => {
      const startedAt = performance.now();
      const limitMs = Math.max(0, Math.min(limits.selectionMs, limits.until - Date.now()));
      return engine.withDeadline(engine.createTagSelector(policy, { top: rank, exclude }), {
        limitMs,
        startedAt,
        total,
        pattern: filter?.pattern || undefined,
      });
    };
    let selector: TagSelector;
    if (scan !== undefined) {
      const tags = await scan;
      selector = limited(tags.length);
      const add = selector.add;
      for (const tag of tags) add(tag);
    } else {
      selector = limited(undefined);
      await tagSource({ tagsFile: flags.tagsFile, stdin: ctx.io.stdin }, selector.add);
    }
    selection = selector.finish();
  } catch (err) {
    if (!(err instanceof engine.NoSelectableTagError || err instanceof engine.PolicyDeadlineError)) throw err;
    if (output === "json")
      ctx.io.out(
        `${JSON.stringify({ latest: null, candidates: [], counts: err.counts, error: err.message })}\n`,
      );
    else if (err.counts) ctx.io.out(`no tag selected\n\n${describeCounts(err.counts)}`);
    throw new CommandFailedError(err.message);
  }
  if (facts && flags.image !== undefined) {
    const { reportWithFacts } = await import("./policy-test-facts.js");
    const scanOptions = {
      insecure: flags.insecure === true,
      env: ctx.io.env,
      credentials: facts.credentials,
      // --timeout is the whole command's: what the listing and selection left of it.
      timeoutMs: Math.max(1, limits.until - Date.now()),
    };
    await reportWithFacts(
      ctx,
      flags.image,
      scanOptions,
      selection,
      selectionOptions,
      top,
      output === "json" ? "json" : "text",
      describeCounts,
      flags.trustedRoot,
    );
  } else if (output === "json") {
    ctx.io.out(
      `${JSON.stringify({ latest: selection.latest, candidates: selection.candidates, counts: selection.counts })}\n`,
    );
  } else ctx.io.out(describeSelection(selection, top));
}

/** `--timeout` (global, Flux's: the whole command) and `--policy-timeout`. */
function limitsOf(flags: PolicyTestFlags, cmd: Command): Limits {
  const { timeout } = cmd.optsWithGlobals() as { timeout: string };
  const timeoutMs = positiveDuration("--timeout", timeout);
  return {
    timeoutMs,
    until: Date.now() + timeoutMs,
    selectionMs: positiveDuration("--policy-timeout", flags.policyTimeout),
  };
}

/** `--image`: every tag from the registry; exclusion is the policy step's, so counts show it. */
async function registryTags(
  image: string,
  insecure: boolean,
  ctx: CliContext,
  credentials: ScanOptions["credentials"],
  signal: AbortSignal,
  timeoutMs: number,
): Promise<string[]> {
  const registry = await import("../registry/index.js");
  try {
    const ref = registry.parseImageReference(image, { insecure });
    const options = { insecure, env: ctx.io.env, credentials, signal, timeoutMs };
    return (await registry.listTags(ref, options)).tags;
  } catch (err) {
    if (err instanceof registry.InvalidImageReferenceError) throw new UsageError(`--image: ${err.message}`);
    // Unreachable registry, denied auth, timeouts: valid input but no result (exit 1).
    if (err instanceof registry.RegistryError)
      throw new CommandFailedError(err.kind === "timeout" ? `${err.message} (--timeout)` : err.message);
    throw err;
  }
}

/** `--secret-ref`: the named secret from the store, resolved exactly as for an ImageRepository. */
async function secretCredentials(
  flags: PolicyTestFlags,
  ctx: CliContext,
  cmd: Command,
): Promise<ScanOptions["credentials"]> {
  const { globalsOf, withEnv } = await import("./globals.js");
  const { registryOptionsFor, SecretMissingError } = await import("../controller/registry-secrets.js");
  const g = globalsOf(cmd, ctx);
  const namespace = g.namespace ?? DEFAULT_NAMESPACE;
  const repo: ImageRepository = {
    apiVersion: IMAGE_API_V1,
    kind: "ImageRepository",
    metadata: { name: "policy-test", namespace },
    spec: { image: flags.image ?? "", interval: "1m", secretRef: { name: flags.secretRef ?? "" } },
  };
  try {
    return (await withEnv({ ...g, namespace }, (env) => registryOptionsFor(env, repo))).credentials;
  } catch (err) {
    if (err instanceof SecretMissingError)
      throw new CommandFailedError(err.message.replace("spec.secretRef", "--secret-ref"));
    throw err;
  }
}

function compileExclusions(
  engine: typeof import("../policy/index.js"),
  list: string[] | undefined,
): ExclusionPredicate {
  // Like an ImageRepository: no flag means the default list (drop cosign `.sig` tags).
  return engine.compileExclusionList(list);
}

function flagOf(field: string): string {
  const m = /^spec\.exclusionList\[(\d+)\]$/.exec(field);
  if (m) return `--exclusion-list #${Number(m[1]) + 1}`;
  return FLAG_OF_FIELD.find(([re]) => re.test(field))?.[1] ?? field;
}
