import type { AnyObject } from "../api/types.js";
import { findCondition } from "../controller/conditions.js";

/** The one-line result Flux prints after a reconcile (`scan fetched 5 tags`, `selected ref …`). */
export function readyText(obj: AnyObject): string {
  switch (obj.kind) {
    case "ImageRepository":
      return `scan fetched ${obj.status?.lastScanResult?.tagCount ?? 0} tags`;
    case "ImagePolicy": {
      const r = obj.status?.latestRef;
      return r ? `selected ref ${r.name}:${r.tag}${r.digest ? `@${r.digest}` : ""}` : "no ref selected";
    }
    case "ImageUpdateAutomation": {
      const msg = findCondition(obj.status, "Ready")?.message;
      if (msg) return msg;
      return obj.status?.lastAutomationRunTime
        ? `last run ${obj.status.lastAutomationRunTime}`
        : "automation not yet run";
    }
    case "GitRepository":
      return findCondition(obj.status, "Ready")?.message ?? "source defined";
    case "Receiver":
      // Flux's `create receiver` ends with the path to give the sender.
      if (obj.status?.webhookPath) return `generated webhook URL ${obj.status.webhookPath}`;
      return findCondition(obj.status, "Ready")?.message ?? "not yet reconciled";
    case "Provider":
    case "Alert":
      return findCondition(obj.status, "Ready")?.message ?? "not yet reconciled";
  }
}
