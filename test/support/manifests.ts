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
