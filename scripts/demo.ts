// The README's first command: the Flux lab "Automating Image Updates" with imagectl instead of flux,
// against a real registry and a real Git remote on loopback, no cluster. Everything it starts, it stops.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { startGitHttpServer } from "../test/support/git-http-server.js";
import { hermeticGit } from "../test/support/git-repo.js";
import { startRegistry } from "../test/support/registry.js";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const home = mkdtempSync(join(tmpdir(), "imagectl-demo-"));

// Asynchronous on purpose: the Git server runs in this process and must keep answering.
async function imagectl(...args: string[]): Promise<void> {
  console.log(
    `\n${bold(`$ imagectl ${args.map((a) => (/[\s$^()|<>*{]/.test(a) ? `'${a}'` : a)).join(" ")}`)}`,
  );
  const r = await execa("bin/imagectl", args, {
    env: { IMAGECTL_HOME: home, NO_COLOR: "1" },
    input: args.includes("--password-stdin") ? "demo-password\n" : "",
    all: true,
    reject: false,
  });
  console.log(r.all);
  if (r.exitCode !== 0) throw new Error(`imagectl ${args[0]} exited ${r.exitCode}`);
}

const deploy = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: vote
  namespace: vote

spec:
  template:
    spec:
      containers:
        - name: vote
          image: ${image} # {"$imagepolicy": "flux-system:vote"}
`;

const registry = await startRegistry({ mode: "plain" });
const git = await startGitHttpServer({ username: "demo", password: "demo-password" });
try {
  const image = `${registry.host}/xxxxx/vote`;
  console.log(
    bold(`registry ${registry.url} (docker-registry), git remote ${git.url("fleet.git")} (git http-backend)`),
  );
  await registry.pushTags("xxxxx/vote", ["main-3f1a2b4-1700000100", "main-8c9d0e1-1700000200", "latest"]);
  const bare = await git.createBareRepo("fleet.git", {
    "apps/vote/deploy.yaml": deploy(`${image}:main-3f1a2b4-1700000100`),
  });

  await imagectl("create", "image", "repository", "vote", `--image=${image}`, "--interval=1m");
  await imagectl("get", "image", "repository");
  await imagectl(
    "create",
    "image",
    "policy",
    "vote",
    "--image-ref=vote",
    "--select-numeric=asc",
    "--filter-regex=^main-[a-f0-9]+-(?P<ts>[0-9]+)",
    "--filter-extract=$ts",
  );
  await imagectl("get", "images", "policy");
  await imagectl(
    "create",
    "secret",
    "git",
    "fleet-auth",
    `--url=${git.url("fleet.git")}`,
    "--username=demo",
    "--password-stdin",
  );
  await imagectl(
    "create",
    "source",
    "git",
    "fleet",
    `--url=${git.url("fleet.git")}`,
    "--branch=main",
    "--secret-ref=fleet-auth",
  );
  await imagectl(
    "create",
    "image",
    "update",
    "fleet",
    "--git-repo-ref=fleet",
    "--git-repo-path=./apps",
    "--checkout-branch=main",
    "--author-name=imagectl",
    "--author-email=imagectl@example.com",
    "--commit-template={{range .Changed.Changes}}{{print .OldValue}} -> {{println .NewValue}}{{end}}",
  );
  console.log(`\n${bold("the commit on the remote:")}`);
  console.log(await hermeticGit(["show", "--stat", "--patch", "main"], bare));

  console.log(bold("a new build is pushed to the registry: main-0a1b2c3-1700000300"));
  await registry.pushTags("xxxxx/vote", ["main-0a1b2c3-1700000300"]);
  await imagectl("reconcile", "image", "repository", "vote");
  await imagectl("get", "images", "all");
  console.log(`\n${bold("the remote's history:")}`);
  console.log(await hermeticGit(["log", "--oneline", "main"], bare));
  console.log(await hermeticGit(["show", "--format=%s", "main"], bare));
} finally {
  await git.stop();
  await registry.stop();
  rmSync(home, { recursive: true, force: true });
}
