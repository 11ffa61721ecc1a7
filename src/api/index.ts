/** The resource model: Flux kinds, defaults, validation, manifests in and out. */
export * from "./defaults.js";
export * from "./duration.js";
export * from "./export.js";
export * from "./git-url.js";
export * from "./input-limits.js";
export * from "./issues.js";
export { type ParsedDocument, type ParseOptions, parseManifestBytes, parseManifests } from "./manifest.js";
export * from "./names.js";
export * from "./notification-types.js";
export * from "./object-id.js";
export * from "./selection-annotations.js";
export {
  LabelSelectorError,
  matchesLabelSelector,
  parseLabelSelector,
  SELECTOR_OPERATORS,
  type SelectorProblem,
  validateLabelSelector,
} from "./selector.js";
export { checkGitRefName } from "./source-rules.js";
export * from "./types.js";
export { assertValid, describeObject, validateObject } from "./validate.js";
export { webhookPath } from "./webhook-path.js";
