import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { ConfigEntry, Env } from "./env.js";
import { hermeticEnv } from "./env.js";
import { GitError } from "./errors.js";
import { describeFailure } from "./exec.js";
import type { GitSigning } from "./types.js";

/** What `git commit` needs to sign with a key that only exists for the duration of one run. */
export interface SigningSetup {
  config: ConfigEntry[];
  env: Env;
  commitArgs: string[];
  secrets: string[];
  cleanup(): Promise<void>;
}

async function run(
  cmd: string,
  args: string[],
  env: Env,
  input = "",
): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await execa(cmd, args, { env: hermeticEnv(env), extendEnv: false, input, reject: false });
  return { ok: r.exitCode === 0, out: String(r.stdout), err: String(r.stderr) };
}

async function prepareGpg(s: GitSigning, dir: string): Promise<SigningSetup> {
  const home = join(dir, "gnupg");
  await mkdir(home, { mode: 0o700 });
  const conf = ["batch", "no-tty", "pinentry-mode loopback"];
  if (s.passphrase) {
    // gpg reads the passphrase from a 0600 file inside the throwaway home; never from argv.
    const pf = join(dir, "passphrase");
    await writeFile(pf, s.passphrase, { mode: 0o600 });
    conf.push(`passphrase-file ${pf}`);
  }
  await writeFile(join(home, "gpg.conf"), `${conf.join("\n")}\n`);
  await writeFile(join(home, "gpg-agent.conf"), "allow-loopback-pinentry\n");
  const env = { GNUPGHOME: home };
  const secrets = [s.key, s.passphrase].filter((x): x is string => !!x);
  const cleanup = async () => {
    await run("gpgconf", ["--kill", "gpg-agent"], env).catch(() => {});
  };
  const imported = await run("gpg", ["--import"], env, s.key);
  if (!imported.ok) {
    await cleanup();
    throw new GitError(
      "sign",
      `signingKey: cannot import GPG key: ${describeFailure(imported.err, secrets)}`,
    );
  }
  const listed = await run("gpg", ["--list-secret-keys", "--with-colons"], env);
  const lines = listed.out.split("\n");
  const primaries = lines.filter((l) => l.startsWith("sec:"));
  if (primaries.length !== 1) {
    await cleanup();
    throw new GitError(
      "sign",
      `signingKey: git.asc must hold exactly one GPG private key, found ${primaries.length}`,
    );
  }
  const secIndex = lines.findIndex((l) => l.startsWith("sec:"));
  const fpr = lines
    .slice(secIndex + 1)
    .find((l) => l.startsWith("fpr:"))
    ?.split(":")[9];
  if (!fpr) {
    await cleanup();
    throw new GitError("sign", "signingKey: cannot read the GPG key fingerprint");
  }
  return {
    config: [
      ["gpg.format", "openpgp"],
      ["user.signingKey", fpr],
    ],
    env,
    commitArgs: [`--gpg-sign=${fpr}`],
    secrets,
    cleanup,
  };
}

async function prepareSsh(s: GitSigning, dir: string): Promise<SigningSetup> {
  const keyFile = join(dir, "identity");
  await writeFile(keyFile, s.key.endsWith("\n") ? s.key : `${s.key}\n`, { mode: 0o600 });
  await chmod(keyFile, 0o600);
  const env: Env = {};
  if (s.passphrase) {
    // ssh-keygen -Y sign asks through SSH_ASKPASS; the script echoes a variable set only on git's process.
    const askpass = join(dir, "askpass.sh");
    await writeFile(askpass, '#!/bin/sh\nprintf "%s\\n" "$IMAGECTL_SIGNING_PASSPHRASE"\n', { mode: 0o700 });
    Object.assign(env, {
      SSH_ASKPASS: askpass,
      SSH_ASKPASS_REQUIRE: "force",
      DISPLAY: "none",
      IMAGECTL_SIGNING_PASSPHRASE: s.passphrase,
    });
  }
  const secrets = [s.key, s.passphrase].filter((x): x is string => !!x);
  // Deriving the public key proves the key parses and the passphrase fits, before anything is committed.
  const check = await run("ssh-keygen", ["-y", "-f", keyFile], env);
  if (!check.ok) {
    throw new GitError(
      "sign",
      `signingKey: invalid SSH private key or wrong password: ${describeFailure(check.err, secrets)}`,
    );
  }
  return {
    config: [
      ["gpg.format", "ssh"],
      ["user.signingKey", keyFile],
    ],
    env,
    commitArgs: ["--gpg-sign"],
    secrets,
    cleanup: async () => {},
  };
}

/** Materialises the signing key in a private temp dir; `cleanup` removes it (and stops gpg-agent). */
export async function prepareSigning(s: GitSigning): Promise<SigningSetup> {
  const dir = await mkdtemp(join(tmpdir(), "imagectl-sign-"));
  try {
    const setup = s.type === "ssh" ? await prepareSsh(s, dir) : await prepareGpg(s, dir);
    return {
      ...setup,
      cleanup: async () => {
        await setup.cleanup();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
