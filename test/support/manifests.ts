/**
 * An ImageRepository (`spec` given as YAML flow mapping entries) and an ImagePolicy selecting
 * semver 1.x from it, both called `name`, as YAML documents for `imagectl apply`.
 */
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

/**
 * The write-back lab's objects as YAML documents: GitRepository `fleet` at the bare repository
 * `bare`, ImageRepository + ImagePolicy `app` for `image` (semver 1.x), and an
 * ImageUpdateAutomation `app` pushing to main. Every interval is 1h, so only requests wake them.
 */
export function fleetAutomation(bare: string, image: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet}
spec: {url: "file://${bare}", interval: 1h, ref: {branch: main}}
---
${repositoryWithPolicy("app", `image: ${image}, interval: 1h, insecure: true`)}---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata: {name: app}
spec:
  interval: 1h
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit: {author: {name: bot, email: bot@example.invalid}}
    push: {branch: main}
  update: {path: ".", strategy: Setters}
`;
}
