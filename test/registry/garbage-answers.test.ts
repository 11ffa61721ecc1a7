import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fetchDigest,
  listTags,
  parseImageReference,
  RegistryError,
  type ScanOptions,
} from "../../src/registry/index.js";
import { loopbackServers } from "../support/loopback-servers.js";

// A loopback "registry" whose answers are wrong in every way a broken server or a middlebox can
// make them: not JSON, cut short, wrong types. Each repository path picks one answer. Every
// failure must be a RegistryError naming the host and the field, never a TypeError.
const servers = loopbackServers();
let host = "";
const DIGEST = `sha256:${"a".repeat(64)}`;
const descriptor = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: DIGEST, size: 10 };

const tagsAnswers: Record<string, string> = {
  "not-json": "<html>gateway error</html>",
  truncated: '{"name":"g/truncated","tags":["1.0.0","1.1',
  null: "null",
  array: '["1.0.0"]',
  "tags-string": '{"tags":"1.0.0"}',
  "tag-number": '{"tags":["1.0.0",2]}',
  "tags-null": '{"name":"g/tags-null","tags":null}',
};

const tokenAnswers: Record<string, string> = {
  "token-not-json": "token=abc",
  "token-number": '{"token":42}',
  "token-expiry-string": '{"token":"t","expires_in":"300"}',
  "token-missing": '{"expires_in":300}',
  "token-array": '["t"]',
};

const manifestAnswers: Record<string, string> = {
  "manifest-bad-digest": JSON.stringify({
    schemaVersion: 2,
    config: { ...descriptor, digest: "sha256:nothex" },
    layers: [],
  }),
  "manifest-schema1": JSON.stringify({ schemaVersion: 1, name: "g/x", tag: "1" }),
  "manifest-neither": JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
  }),
  "manifest-negative-size": JSON.stringify({ schemaVersion: 2, manifests: [{ ...descriptor, size: -1 }] }),
  "manifest-ok": JSON.stringify({ schemaVersion: 2, manifests: [descriptor] }),
};

function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://x");
  const json = { "content-type": "application/json" };
  if (url.pathname === "/v2/") return void res.writeHead(200, json).end("{}");
  if (url.pathname === "/token") {
    return void res.writeHead(200, json).end(tokenAnswers[url.searchParams.get("case") ?? ""] ?? "{}");
  }
  const m = /^\/v2\/g\/([\w-]+)\/(tags\/list|manifests\/[\w.-]+)$/.exec(url.pathname);
  const name = m?.[1] ?? "";
  if (name in tokenAnswers && !req.headers.authorization) {
    const realm = `http://${host}/token?case=${name}`;
    return void res.writeHead(401, { "www-authenticate": `Bearer realm="${realm}",service="g"` }).end();
  }
  if (name === "cut-connection") {
    // Promises 100 bytes, sends 10, hangs up.
    res.writeHead(200, { ...json, "content-length": "100" });
    res.write('{"tags":["');
    return void res.socket?.destroy();
  }
  if (name === "error-body") {
    return void res.writeHead(404, json).end('{"errors":"NAME_UNKNOWN"}');
  }
  if (name in tagsAnswers) return void res.writeHead(200, json).end(tagsAnswers[name]);
  if (name in manifestAnswers) {
    const headers = { "content-type": "application/vnd.oci.image.index.v1+json" };
    return void res.writeHead(200, headers).end(req.method === "HEAD" ? undefined : manifestAnswers[name]);
  }
  if (name === "bad-digest-header") {
    return void res.writeHead(200, { "docker-content-digest": "md5:<script>" }).end();
  }
  if (name in tokenAnswers) return void res.writeHead(200, json).end('{"tags":["ok"]}');
  res.writeHead(404, json).end('{"errors":[{"code":"NAME_UNKNOWN","message":"unknown"}]}');
}

beforeAll(async () => {
  host = `127.0.0.1:${await servers.listen(createServer(answer))}`;
});

afterAll(async () => {
  await servers.closeAll();
});

const opts: ScanOptions = {
  dockerConfigDir: false,
  retry: { retries: 1, baseDelayMs: 1, maxDelayMs: 2 },
};

async function failure(p: Promise<unknown>): Promise<RegistryError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RegistryError);
  return err as RegistryError;
}

const tagsOf = (name: string) => listTags(parseImageReference(`${host}/g/${name}`), opts);

describe("tags/list answers that are not a tag list", () => {
  it.each([
    ["not-json", "is not valid JSON"],
    ["truncated", "is not valid JSON"],
    ["null", "is not valid: expected object, got null"],
    ["array", "is not valid: expected object, got array"],
    ["tags-string", "is not valid: field tags: expected array, got string"],
    ["tag-number", "is not valid: field tags[1]: expected string, got number"],
  ])("%s", async (name, problem) => {
    const err = await failure(tagsOf(name));
    expect(err.kind).toBe("bad-response");
    expect(err.message).toBe(`${host}/g/${name}: tags/list answer from ${host} ${problem}`);
  });

  it("reads `tags: null` as no tags", async () => {
    expect((await tagsOf("tags-null")).tags).toEqual([]);
  });

  it("reports a connection cut inside the body as unreachable, naming the host", async () => {
    const err = await failure(tagsOf("cut-connection"));
    expect(err.kind).toBe("unreachable");
    expect(err.message).toContain(`cannot reach ${host}`);
  });

  it("reports the status when the error body is not a distribution error", async () => {
    const err = await failure(tagsOf("error-body"));
    expect(err.kind).toBe("not-found");
    expect(err.message).toBe(`${host}/g/error-body: repository not found`);
  });
});

describe("token service answers that are not a token", () => {
  it.each([
    ["token-not-json", "is not valid JSON"],
    ["token-number", "is not valid: field token: expected string, got number"],
    ["token-expiry-string", "is not valid: field expires_in: expected number, got string"],
    ["token-array", "is not valid: expected object, got array"],
  ])("%s", async (name, problem) => {
    const err = await failure(tagsOf(name));
    expect(err.kind).toBe("bad-response");
    expect(err.message).toBe(`${host}/g/${name}: answer of the token service at http://${host} ${problem}`);
  });

  it("says so when the answer holds no token", async () => {
    const err = await failure(tagsOf("token-missing"));
    expect(err.message).toBe(
      `${host}/g/token-missing: token service at http://${host} answered without a token`,
    );
  });
});

describe("manifests that are not a manifest or an index", () => {
  const digestOf = (name: string) => fetchDigest(parseImageReference(`${host}/g/${name}`), "1.0.0", opts);

  it.each([
    ["manifest-bad-digest", "field config.digest: expected a digest such as sha256:<64 hex digits>"],
    ["manifest-schema1", "field schemaVersion: expected 2 (schema 1 manifests are not supported)"],
    ["manifest-neither", "expected an index (manifests) or an image manifest (config)"],
    ["manifest-negative-size", "field manifests[0].size: expected a size of 0 or more"],
  ])("%s", async (name, problem) => {
    const err = await failure(digestOf(name));
    expect(err.kind).toBe("bad-response");
    expect(err.message).toBe(
      `${host}/g/${name}: manifest of tag "1.0.0" from ${host} is not valid: ${problem}`,
    );
  });

  it("hashes a valid index that came without a digest header", async () => {
    expect(await digestOf("manifest-ok")).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("refuses a Docker-Content-Digest header that is not a digest", async () => {
    const err = await failure(digestOf("bad-digest-header"));
    expect(err.message).toBe(
      `${host}/g/bad-digest-header: Docker-Content-Digest header from ${host} is not a digest (algorithm:hex)`,
    );
  });
});
