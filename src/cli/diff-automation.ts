// What an ImageUpdateAutomation would push, printed without pushing: `reconcile image update
// --dry-run`, `create image update --dry-run` and the Git half of `imagectl diff`.
import type { ImageUpdateAutomation, RollbackPin } from "../api/types.js";
import type { ControllerDeps } from "../controller/controller-deps.js";
import type { CliContext } from "./io.js";

/**
 * The commit message (indented) and the diff a run would make, or a line saying there is none;
 * then the markers a run would leave alone because a person rolled them back.
 */
export function previewText(preview: { diff: string; message: string | null; pins?: RollbackPin[] }): string {
  const pins = (preview.pins ?? []).map(
    (p) => `pinned after a rollback: ${p.file} (${p.setter}) keeps '${p.kept}', not '${p.reverted}'\n`,
  );
  if (!preview.message) return `no changes: the repository is up to date\n${pins.join("")}`;
  return `commit message:\n${preview.message.replace(/^/gm, "    ")}\n\n${preview.diff}${pins.join("")}`;
}

/** Runs the automation's setters over its clone without committing and prints the result. */
export async function printAutomationPreview(
  ctx: CliContext,
  env: ControllerDeps,
  auto: ImageUpdateAutomation,
): Promise<void> {
  const { previewAutomationRun } = await import("../controller/image-update-automation.js");
  ctx.io.out(previewText(await previewAutomationRun(env, auto)));
}
