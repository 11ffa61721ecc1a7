/** Validation problems and the typed errors that carry them. */

export interface ValidationIssue {
  /** `Kind/namespace/name` of the object, as far as it is known (empty for YAML syntax errors). */
  object: string;
  /** Field path such as `spec.policy.semver.range` or `spec.exclusionList[2]` (empty if not about a field). */
  field: string;
  message: string;
  /** Manifest file name (or `<stdin>`), when the object came from a manifest. */
  source?: string;
  /** 1-based position of the YAML document in its file. */
  document?: number;
  /** 1-based line of the field (or of the document) in the file. */
  line?: number;
}

/** Where an object came from; copied into the issues found in it. */
export interface IssueLocation {
  source?: string;
  document?: number;
  line?: number;
}

/**
 * `vote.yaml:12: document 2 (ImagePolicy/flux-system/vote): spec.policy.semver.range: <message>`;
 * parts that are unknown are left out.
 */
export function formatIssue(issue: ValidationIssue): string {
  let where = "";
  if (issue.source !== undefined)
    where = issue.line !== undefined ? `${issue.source}:${issue.line}` : issue.source;
  else if (issue.line !== undefined) where = `line ${issue.line}`;
  const doc = issue.document !== undefined ? `document ${issue.document}` : "";
  const head = [where, doc].filter((s) => s !== "").join(": ");
  const object = issue.object !== "" ? (head !== "" ? `${head} (${issue.object})` : issue.object) : head;
  return [object, issue.field, issue.message].filter((s) => s !== "").join(": ");
}

/** An object (or a set of manifests) that Flux would reject; `issues` lists every problem found. */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(issues.map(formatIssue).join("\n"));
  }
}

/** Manifest text that could not be read: YAML syntax errors, unknown kinds, invalid objects. */
export class ManifestError extends ValidationError {
  override name = "ManifestError";
}
