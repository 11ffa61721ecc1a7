/**
 * Rollback awareness: when the marked value on the branch is no longer the one the automation
 * last wrote there, while the policy still selects that same value, a person has reverted or
 * overridden the automation's commit. The automation then leaves that marker alone (a pin) until
 * the policy selects a different, newer value, or the pin is lifted (`imagectl resume`, or the
 * unpin annotation). What the automation wrote is read from its run history, so no Git history is
 * needed (the cached clone is shallow).
 */
import type { ImageUpdateAutomation, RollbackPin } from "../api/types.js";
import { UNPIN_ANNOTATION } from "../api/write-back-annotations.js";
import type { UpdateResult } from "../update/index.js";
import type { ControllerDeps } from "./controller-deps.js";

/** Runs read back to find what the automation last wrote per marker (newest first). */
const RUNS_READ = 500;

const key = (file: string, setter: string) => `${file}\0${setter}`;

/** What the automation last pushed for each (file, setter), from its run history. */
export async function writtenValues(
  deps: ControllerDeps,
  auto: ImageUpdateAutomation,
): Promise<Map<string, string>> {
  const runs = await deps.store.listRuns(
    { namespace: auto.metadata.namespace, name: auto.metadata.name },
    RUNS_READ,
  );
  const out = new Map<string, string>();
  for (const run of runs) {
    if (run.outcome !== "pushed") continue;
    for (const c of run.changes)
      if (!out.has(key(c.file, c.setter))) out.set(key(c.file, c.setter), c.newValue);
  }
  return out;
}

/** True when the unpin annotation carries a value this automation has not acted on yet. */
export function unpinRequested(auto: ImageUpdateAutomation): boolean {
  const v = auto.metadata.annotations?.[UNPIN_ANNOTATION];
  return v !== undefined && v !== auto.status?.lastHandledUnpinAt;
}

/**
 * The pins for a setters pass computed without writing (`dry`): every change that would write a
 * value the automation already wrote there once, over a different value someone else put back.
 * Earlier pins keep their `since`.
 */
export function findPins(
  dry: Pick<UpdateResult, "fileChanges">,
  written: ReadonlyMap<string, string>,
  earlier: readonly RollbackPin[],
  now: { at: string; head: string },
): RollbackPin[] {
  const pins: RollbackPin[] = [];
  for (const [file, objects] of dry.fileChanges) {
    for (const { changes } of objects) {
      for (const c of changes) {
        if (written.get(key(file, c.setter)) !== c.newValue || c.oldValue === c.newValue) continue;
        if (pins.some((p) => p.file === file && p.setter === c.setter)) continue;
        const before = earlier.find(
          (p) => p.file === file && p.setter === c.setter && p.reverted === c.newValue,
        );
        pins.push({
          file,
          setter: c.setter,
          kept: c.oldValue,
          reverted: c.newValue,
          since: before?.since ?? now.at,
          seenAt: before?.seenAt ?? now.head,
        });
      }
    }
  }
  return pins;
}

/** The setters to hold, per file, for updateWithSetters. */
export function holdOf(pins: readonly RollbackPin[]): Map<string, Set<string>> {
  const hold = new Map<string, Set<string>>();
  for (const p of pins) {
    const set = hold.get(p.file) ?? new Set<string>();
    set.add(p.setter);
    hold.set(p.file, set);
  }
  return hold;
}

/** One line per pin, for the Ready message and the event. */
export function describePins(pins: readonly RollbackPin[]): string {
  return pins
    .map(
      (p) => `${p.file} (${p.setter}) keeps '${p.kept}'; '${p.reverted}' is not re-applied until a newer one`,
    )
    .join("; ");
}

/** Pins that were not there before: news for an event. */
export function newPins(
  pins: readonly RollbackPin[],
  earlier: readonly RollbackPin[] | undefined,
): RollbackPin[] {
  return pins.filter(
    (p) => !earlier?.some((e) => e.file === p.file && e.setter === p.setter && e.reverted === p.reverted),
  );
}
