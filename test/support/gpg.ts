// Throwaway GPG key for signing tests; its home also serves to verify signatures (the key is trusted there).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

export interface TestGpgKey {
  fingerprint: string;
  /** Armored secret key, as a signing-key Secret's `git.asc`. */
  armoredPrivateKey: string;
  /** GNUPGHOME that holds (and ultimately trusts) the key: pass it to `git verify-commit`. */
  home: string;
  stop(): Promise<void>;
}

export async function generateGpgKey(
  opts: { name?: string; email?: string; passphrase?: string } = {},
): Promise<TestGpgKey> {
  const home = await mkdtemp(join(tmpdir(), "imagectl-gpgtest-"));
  const env = { ...process.env, GNUPGHOME: home };
  const pass = ["--batch", "--pinentry-mode", "loopback", "--passphrase", opts.passphrase ?? ""];
  const uid = `${opts.name ?? "Image Bot"} <${opts.email ?? "bot@example.invalid"}>`;
  const stop = async () => {
    await execa("gpgconf", ["--kill", "gpg-agent"], { env, reject: false });
    await rm(home, { recursive: true, force: true });
  };
  try {
    await execa("gpg", [...pass, "--quick-gen-key", uid, "ed25519", "sign", "never"], { env });
    const listed = await execa("gpg", ["--batch", "--list-secret-keys", "--with-colons"], { env });
    const fingerprint = listed.stdout
      .split("\n")
      .find((l) => l.startsWith("fpr:"))
      ?.split(":")[9];
    if (!fingerprint) throw new Error("generated GPG key has no fingerprint");
    const exported = await execa("gpg", [...pass, "--armor", "--export-secret-keys", fingerprint], { env });
    return { fingerprint, armoredPrivateKey: exported.stdout, home, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
