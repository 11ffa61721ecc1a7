/** ImagePolicy `status.latestRef`: `name` is the ImageRepository's `spec.image` as written. */
export interface LatestRef {
  name: string;
  tag: string;
  digest?: string;
}

/** Policies by `"namespace:name"`, as markers name them. */
export type PolicyRefs = ReadonlyMap<string, LatestRef>;

export interface Change {
  oldValue: string;
  newValue: string;
  /** The marker value, e.g. `flux-system:app:tag`. */
  setter: string;
}

/** kyaml ResourceIdentifier; empty strings for YAML that is not a Kubernetes object. */
export interface ResourceIdentifier {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
}

export type ProblemKind =
  | "malformed-yaml"
  | "unknown-policy"
  | "symlink-outside"
  | "unsupported-scalar"
  | "unsupported-value"
  | "invalid-utf8"
  | "unreadable";

export interface Problem {
  /** Path relative to the scanned root ('/' separators); empty for in-memory text. */
  path: string;
  kind: ProblemKind;
  message: string;
}

export interface ObjectChanges {
  object: ResourceIdentifier;
  changes: Change[];
}

export interface UpdateResult {
  /** Keyed by path relative to the scanned root (`update.path`), '/' separators. */
  fileChanges: Map<string, ObjectChanges[]>;
  /** Changed files only (for dry-run diffs and tests). */
  files: { path: string; before: string; after: string }[];
  problems: Problem[];
}

export interface FileSetterResult {
  text: string;
  changes: { object: ResourceIdentifier; change: Change }[];
  problems: Omit<Problem, "path">[];
}
