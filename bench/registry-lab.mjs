// A loopback docker-registry behind a counting proxy, and pushers for bench fixtures: images,
// and cosign `.sig` signatures whose layer annotations the caller makes (a key signature, or a
// keyless one with certificate and Rekor bundle). Shared by selection.bench.mjs and
// registry-scan.bench.mjs; not a benchmark
// itself (bench/run.mjs runs only *.bench.mjs).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { createServer as netServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Starts the registry and proxy; everything is removed when the process exits. */
export async function startRegistryLab(prefix) {
  const freePort = () =>
    new Promise((resolve, reject) => {
      const s = netServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });

  const dir = mkdtempSync(join(tmpdir(), prefix));
  const data = join(dir, "data");
  mkdirSync(data);
  const dockerConfig = join(dir, "docker");
  mkdirSync(dockerConfig);
  const port = await freePort();
  writeFileSync(
    join(dir, "config.yml"),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${data}\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: bench-only\n`,
  );
  const registry = spawn("/usr/bin/docker-registry", ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  const base = `http://127.0.0.1:${port}`;

  // The counting proxy: every request imagectl sends passes here, counted by kind.
  const counts = { total: 0, tagHead: 0, manifestGet: 0, blobGet: 0, other: 0 };
  const proxy = createServer((req, res) => {
    counts.total++;
    const url = req.url ?? "";
    if (req.method === "HEAD" && url.includes("/manifests/")) counts.tagHead++;
    else if (req.method === "GET" && url.includes("/manifests/")) counts.manifestGet++;
    else if (req.method === "GET" && url.includes("/blobs/")) counts.blobGet++;
    else counts.other++;
    const up = httpRequest(
      { host: "127.0.0.1", port, method: req.method, path: url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  await new Promise((r) => proxy.listen(0, "127.0.0.1", r));
  const proxyHost = `127.0.0.1:${proxy.address().port}`;
  const resetCounts = () => {
    for (const k of Object.keys(counts)) counts[k] = 0;
  };

  const cleanup = () => {
    registry.kill("SIGTERM");
    proxy.close();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(130));

  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/v2/`)).status === 200) break;
    } catch {}
    if (i > 500) {
      console.error("cannot run: docker-registry did not start");
      process.exit(2);
    }
    await new Promise((r) => setTimeout(r, 20));
  }

  const sha = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
  async function pushBlob(repo, buf) {
    const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
    await post.arrayBuffer();
    const loc = new URL(post.headers.get("location"), base);
    loc.searchParams.set("digest", sha(buf));
    const put = await fetch(loc, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: buf,
    });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`blob PUT ${put.status}`);
    return sha(buf);
  }
  async function putManifest(repo, ref, obj) {
    const body = Buffer.from(JSON.stringify(obj));
    const res = await fetch(`${base}/v2/${repo}/manifests/${ref}`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`manifest PUT ${res.status}`);
    return res.headers.get("docker-content-digest");
  }
  const layer = Buffer.from("one shared layer");
  async function pushImage(repo, tag, created, layerDigest) {
    const config = Buffer.from(
      JSON.stringify({ created, architecture: "amd64", os: "linux", config: { Labels: { tag } } }),
    );
    return putManifest(repo, tag, {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: await pushBlob(repo, config),
        size: config.length,
      },
      layers: [
        { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: layer.length },
      ],
    });
  }
  async function pool(n, worker) {
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) await worker(next++);
      }),
    );
  }

  const emptyConfigs = new Map();
  /** A `.sig` manifest for `digest` whose one layer is the simple-signing payload, annotated by `annotate`. */
  async function pushSigned(repo, digest, annotate) {
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { "docker-reference": `${proxyHost}/${repo}` },
          image: { "docker-manifest-digest": digest },
          type: "cosign container image signature",
        },
        optional: null,
      }),
    );
    // One upload of the empty config per repository: concurrent uploads of one blob race.
    emptyConfigs.set(repo, emptyConfigs.get(repo) ?? pushBlob(repo, Buffer.from("{}")));
    const config = await emptyConfigs.get(repo);
    await putManifest(repo, `${digest.replace(":", "-")}.sig`, {
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: 2 },
      layers: [
        {
          mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
          digest: await pushBlob(repo, payload),
          size: payload.length,
          annotations: annotate(payload),
        },
      ],
    });
  }

  return {
    dir,
    data,
    dockerConfig,
    /** The registry itself (`127.0.0.1:PORT`), for benches that count nothing. */
    host: `127.0.0.1:${port}`,
    proxyHost,
    counts,
    resetCounts,
    layer,
    pushBlob,
    pushImage,
    pushSigned,
    pool,
  };
}
