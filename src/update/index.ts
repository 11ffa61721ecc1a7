export { applySetters } from "./apply-setters.js";
export {
  commitTemplateData,
  DEFAULT_COMMIT_MESSAGE,
  RemovedTemplateFieldError,
  renderCommitMessage,
  renderWriteBackTemplate,
  validateCommitTemplate,
} from "./commit-message.js";
export { compileIncludeGlobs, IncludeGlobError, splitIncludeGlobs } from "./include-globs.js";
export { applyLineSetters, type LineFileType } from "./line-setters.js";
export { imageRefString, parseMarker, resolveSetter } from "./marker.js";
export { PushSummaryError, pushSummary } from "./push-summary.js";
export type {
  Change,
  FileSetterResult,
  LatestRef,
  ObjectChanges,
  PolicyRefs,
  Problem,
  ProblemKind,
  ResourceIdentifier,
  UpdateResult,
} from "./types.js";
export { UpdatePathError } from "./update-path.js";
export { type UpdateOptions, updateWithSetters } from "./update-with-setters.js";
