// A fleet repository on a real smart-HTTP remote with markers in YAML, a Dockerfile, a .env file
// and Terraform, and the objects that automate it, for the write-back tests.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "./cli.js";
import { type GitHttpServer, startGitHttpServer } from "./git-http-server.js";
import { repositoryWithPolicy } from "./manifests.js";
import { startRegistry, type TestRegistry } from "./registry.js";

export const MARK = (setter: string) => `# {"$imagepolicy": "flux-system:${setter}"}`;

/** The fleet's files with every marked reference at `tag` of `image`. */
export function fleetFiles(image: string, tag: string): Record<string, string> {
  return {
    "apps/deploy.yaml": `kind: Deployment\nmetadata: {name: app}\nspec:\n  image: ${image}:${tag} ${MARK("app")}\n`,
    "apps/Dockerfile": `${MARK("app")}\nFROM ${image}:${tag} AS run\nCMD ["app"]\n`,
    "apps/.env": `APP_TAG=${tag} ${MARK("app:tag")}\n`,
    "infra/main.tf": `resource "app" "x" {\n  image = "${image}:${tag}" ${MARK("app")}\n}\n`,
    "README.md": `fleet ${image}:${tag} ${MARK("app")}\n`,
  };
}

/** GitRepository `fleet`, ImageRepository + ImagePolicy `app` (semver 1.x). */
export function sourceAndPolicy(url: string, image: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet}
spec: {url: "${url}", interval: 1h, ref: {branch: main}}
---
${repositoryWithPolicy("app", `image: ${image}, interval: 1h, insecure: true`)}`;
}

/** ImageUpdateAutomation `app` over the whole fleet; `extra` adds metadata lines (annotations). */
export function automation(opts: { suspend?: boolean; annotations?: Record<string, string> } = {}): string {
  const ann = opts.annotations ? `\n  annotations: ${JSON.stringify(opts.annotations)}` : "";
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: app${ann}
spec:
  interval: 1h${opts.suspend ? "\n  suspend: true" : ""}
  sourceRef: {kind: GitRepository, name: fleet}
  git:
    commit:
      author: {name: imagectl, email: imagectl@example.invalid}
      messageTemplate: "Update {{ range .Changed.Changes }}{{ .NewValue }} {{ end }}"
    push: {branch: main}
  update: {path: ".", strategy: Setters}
`;
}

export interface FleetLab {
  registry: TestRegistry;
  git: GitHttpServer;
  bare: string;
  home: string;
  image: string;
  url: string;
  cli(...args: string[]): ReturnType<typeof runCli>;
  /** Writes `text` to a file in the home and returns its path. */
  file(name: string, text: string): string;
  stop(): Promise<void>;
}

/** A registry with `tags` of `fleet/app`, and the fleet repository at `tags[0]`. */
export async function startFleetLab(tags: string[]): Promise<FleetLab> {
  const registry = await startRegistry({ mode: "plain" });
  const git = await startGitHttpServer();
  const home = mkdtempSync(join(tmpdir(), "imagectl-wbfleet-"));
  const image = `${registry.host}/fleet/app`;
  await registry.pushTags("fleet/app", tags);
  const bare = await git.createBareRepo("fleet.git", fleetFiles(image, tags[0]!));
  return {
    registry,
    git,
    bare,
    home,
    image,
    url: git.url("fleet.git"),
    cli: (...args) => runCli([...args, "--home", home]),
    file(name, text) {
      const p = join(home, name);
      writeFileSync(p, text);
      return p;
    },
    async stop() {
      await registry.stop();
      await git.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
