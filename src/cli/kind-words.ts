import type { Kind } from "../api/types.js";

/** `image repository|policy|update` and `source git` sub-command words → kinds. */
export const IMAGE_WORDS: Record<string, Kind> = {
  repository: "ImageRepository",
  policy: "ImagePolicy",
  update: "ImageUpdateAutomation",
};

/** Flux's wording in messages: "image policy", "image repository", "image update automation". */
export function humanKind(kind: Kind): string {
  switch (kind) {
    case "ImageRepository":
      return "image repository";
    case "ImagePolicy":
      return "image policy";
    case "ImageUpdateAutomation":
      return "image update automation";
    case "GitRepository":
      return "source git";
    case "Receiver":
      return "receiver";
    case "Provider":
      return "alert-provider";
    case "Alert":
      return "alert";
  }
}
