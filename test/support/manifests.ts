/**
 * An ImageRepository (`spec` given as YAML flow mapping entries) and an ImagePolicy selecting
 * semver 1.x from it, both called `name`, as YAML documents for `imagectl apply`.
 */
/**
 * An ImageRepository `name` of `image` (a rare interval: the tests scan it themselves) and an
 * ImagePolicy `bad` on it whose pattern backtracks on every tag of thirty `a`s: the policy that
 * takes seconds per 100,000 tags even with V8's linear fallback.
 */
export function catastrophicPolicy(name: string, image: string): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: ${name}}
spec: {image: ${image}, interval: 1h}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: bad}
spec:
  imageRepositoryRef: {name: ${name}}
  filterTags: {pattern: '^(a+)+$'}
  policy: {alphabetical: {order: asc}}
`;
}

export function repositoryWithPolicy(name: string, repositorySpec: string): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: ${name}}
spec: {${repositorySpec}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata: {name: ${name}}
spec:
  imageRepositoryRef: {name: ${name}}
  policy: {semver: {range: 1.x}}
`;
}

/** What a test changes in fleetAutomation's objects; every field has the lab's value by default. */
export interface FleetOptions {
  /** The GitRepository URL (default `file://<bare>`). */
  url?: string;
  /** More GitRepository spec entries, e.g. `, timeout: 5s, secretRef: {name: x}`. */
  sourceExtra?: string;
  /** The ImageRepository and ImageUpdateAutomation interval (default 1h). */
  interval?: string;
  /** More ImageRepository spec entries, e.g. `, timeout: 20s`. */
  repositoryExtra?: string;
  /** The commit message template (single-quoted in the manifest). */
  messageTemplate?: string;
}

/**
 * The write-back lab's objects as YAML documents: GitRepository `fleet` at the bare repository
 * `bare`, ImageRepository + ImagePolicy `app` for `image` (semver 1.x), and an
 * ImageUpdateAutomation `app` pushing to main. Every interval is 1h unless `o.interval` says
 * otherwise, so only requests wake them.
 */
export function fleetAutomation(bare: string, image: string, o: FleetOptions = {}): string {
  const interval = o.interval ?? "1h";
  const template = o.messageTemplate === undefined ? "" : `, messageTemplate: '${o.messageTemplate}'`;
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet}
spec: {url: "${o.url ?? `file://${bare}`}", interval: 1h, ref: {branch: main}${o.sourceExtra ?? ""}}
---
${repositoryWithPolicy("app", `image: ${image}, interval: ${interval}, insecure: true${o.repositoryExtra ?? ""}`)}---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: app}
spec:
  interval: ${interval}
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit: {author: {name: bot, email: bot@example.invalid}${template}}
    push: {branch: main}
  update: {path: ".", strategy: Setters}
`;
}
