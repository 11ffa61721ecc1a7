// OpenSSH server for Git-over-SSH tests: 127.0.0.1 on a free high port, generated host and user keys.
// Logs in as the current user (root in this sandbox; sshd cannot switch users otherwise).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { createBareRepoAt } from "./git-repo.js";

export interface Sshd {
  port: number;
  /** Private key (OpenSSH format) authorised to log in. */
  clientKey: string;
  /** known_hosts line for this server's host key. */
  knownHosts: string;
  /** Directory holding repositories served by this sshd. */
  root: string;
  /** `ssh://<user>@127.0.0.1:<port><root>/<repoName>`. */
  url(repoName: string): string;
  createBareRepo(name: string, files: Record<string, string>, branch?: string): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function keygen(file: string, comment: string): Promise<void> {
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
}

function waitListening(proc: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = "";
    const onData = (b: Buffer) => {
      log += b.toString();
      if (/Server listening on/.test(log)) {
        proc.stderr?.off("data", onData);
        resolve();
      }
    };
    proc.stderr?.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`sshd exited (${code}) before listening: ${log.trim()}`)));
  });
}

export async function startSshd(): Promise<Sshd> {
  const dir = await mkdtemp(join(tmpdir(), "imagectl-sshd-"));
  const root = join(dir, "repos");
  await mkdir(root);
  // Privilege-separation directory; absent without systemd.
  await mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  await keygen(join(dir, "host_ed25519"), "imagectl-test-host");
  await keygen(join(dir, "client_ed25519"), "imagectl-test-client");
  await writeFile(join(dir, "authorized_keys"), await readFile(join(dir, "client_ed25519.pub")));
  const user = userInfo().username;
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const config = [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${join(dir, "host_ed25519")}`,
      `PidFile ${join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "PermitRootLogin prohibit-password",
      "StrictModes no",
      "UsePAM no",
      "PrintMotd no",
      "LogLevel VERBOSE",
    ].join("\n");
    await writeFile(join(dir, "sshd_config"), `${config}\n`);
    // Absolute path: sshd refuses to re-exec otherwise.
    const proc = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    try {
      await waitListening(proc);
    } catch (e) {
      if (tries < 3) continue; // the free port was taken between probe and bind
      await rm(dir, { recursive: true, force: true });
      throw e;
    }
    proc.stderr?.resume();
    const hostPub = (await readFile(join(dir, "host_ed25519.pub"), "utf8")).split(" ").slice(0, 2).join(" ");
    return {
      port,
      clientKey: await readFile(join(dir, "client_ed25519"), "utf8"),
      knownHosts: `[127.0.0.1]:${port} ${hostPub}\n`,
      root,
      url: (name) => `ssh://${user}@127.0.0.1:${port}${root}/${name}`,
      createBareRepo: (name, files, branch) => createBareRepoAt(root, name, files, branch),
      stop: async () => {
        if (proc.exitCode === null) {
          const exited = new Promise((r) => proc.once("exit", r));
          proc.kill("SIGTERM");
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
}
