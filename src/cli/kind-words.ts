import type { Kind } from "../api/types.js";

/** `image repository|policy|update` and `source git` sub-command words → kinds. */
export const IMAGE_WORDS: Record<string, Kind> = {
  repository: "ImageRepository",
  policy: "ImagePolicy",
  update: "ImageUpdateAutomation",
};

/** Flux's words for the notification kinds: `flux create|delete|… receiver|alert-provider|alert`. */
export const NOTIFICATION_WORDS = {
  receiver: "Receiver",
  "alert-provider": "Provider",
  alert: "Alert",
} as const satisfies Record<string, Kind>;

/** The kind with its article, for help texts: "an ImagePolicy", "a Receiver", "an Alert". */
export function aKind(kind: Kind): string {
  return `${/^[AEIOU]/.test(kind) ? "an" : "a"} ${kind}`;
}

/** Flux's wording in messages (its apiType.humanKind): "image policy", "alert provider". */
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
      return "alert provider";
    case "Alert":
      return "alert";
  }
}
