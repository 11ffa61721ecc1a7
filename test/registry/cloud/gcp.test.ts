// provider: gcp end to end: google-auth-library's Application Default Credentials find the
// loopback metadata server through GCE_METADATA_HOST (test/support/cloud/gce-metadata-server.ts
// checks Metadata-Flavor and the token path), then the real docker-registry under an Artifact
// Registry host accepts exactly oauth2accesstoken:<access token>.
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type GceMetadataServer, startGceMetadataServer } from "../../support/cloud/gce-metadata-server.js";
import { startGoogleTokenServer } from "../../support/cloud/google-token-server.js";
import { type CloudRig, readyOf, setEnv, startCloudRig } from "../../support/cloud/harness.js";

const GAR_HOST = "europe-west1-docker.pkg.dev";
const GCR_HOST = "eu.gcr.io";
// bcrypt reads at most 72 bytes of a password: real Google tokens are longer, this one is not.
const ACCESS_TOKEN = `ya29.${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

let rig: CloudRig;
let metadata: GceMetadataServer;
let restoreEnv: () => void;

beforeAll(async () => {
  rig = await startCloudRig({
    registryHost: GAR_HOST,
    // oauth2.googleapis.com: the loopback token endpoint shares the registry's certificate.
    otherHosts: [GCR_HOST, "us-docker.pkg.dev", "oauth2.googleapis.com"],
    username: "oauth2accesstoken",
    password: ACCESS_TOKEN,
  });
  await rig.registry.pushTags("team/app", ["v1", "v2"]);
  metadata = await startGceMetadataServer(rig.servers, ACCESS_TOKEN);
  const home = mkdtempSync(join(tmpdir(), "imagectl-gcp-home-"));
  restoreEnv = setEnv({
    // google-auth-library's documented metadata-server override; no key file, no gcloud config.
    GCE_METADATA_HOST: metadata.host,
    GCE_METADATA_IP: undefined,
    METADATA_SERVER_DETECTION: undefined,
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
    CLOUDSDK_CONFIG: join(home, "gcloud"),
    HOME: home,
  });
}, 60_000);

afterAll(async () => {
  restoreEnv?.();
  await rig?.stop();
});

describe("provider: gcp", () => {
  // A failed test must not leave the metadata server refusing or stalled for the next ones.
  afterEach(() => {
    metadata.mode = "token";
  });

  it("lists the tags with the metadata server's access token as oauth2accesstoken's password", async () => {
    await rig.repository("app", { provider: "gcp", image: `${GAR_HOST}/proj/team/app` });
    // Artifact Registry paths have a project and a repository before the image.
    await rig.registry.pushTags("proj/team/app", ["v1", "v2", "v3"]);
    const obj = await rig.scan("app");
    expect(readyOf(obj)).toMatchObject({ status: "True", reason: "Succeeded" });
    expect(obj.status?.lastScanResult?.tagCount).toBe(3);
    expect(metadata.tokens).toBe(1);
    expect(metadata.paths).toContain(TOKEN_PATH);
    // Flux's scopes.
    expect(metadata.lastScopes?.split(",")).toEqual([
      "https://www.googleapis.com/auth/cloud-platform",
      "https://www.googleapis.com/auth/userinfo.email",
    ]);
    expect(rig.proxy.tunnels).toContain(`${GAR_HOST}:443`);
  });

  it("keeps the token until it nears expiry: a second scan asks the metadata server nothing", async () => {
    const paths = metadata.paths.length;
    expect(readyOf(await rig.scan("app")).status).toBe("True");
    expect(metadata.paths.length).toBe(paths);
  });

  it("asks again when the token is at its end", async () => {
    // Seconds from its end (0 would read as "no expiry given" to google-auth-library).
    metadata.lifetimeSeconds = 5;
    await rig.repository("gcr", { provider: "gcp", image: `${GCR_HOST}/team/app` });
    expect(readyOf(await rig.scan("gcr")).status).toBe("True");
    expect(readyOf(await rig.scan("gcr")).status).toBe("True");
    expect(metadata.tokens).toBe(3);
    metadata.lifetimeSeconds = 3599;
    await rig.scan("gcr");
    await rig.scan("gcr");
    expect(metadata.tokens).toBe(4);
  });

  it("is AuthenticationFailed when the metadata server refuses, and nothing token-shaped leaks", async () => {
    metadata.mode = "deny";
    await rig.repository("denied", { provider: "gcp", image: "us.gcr.io/team/app" });
    const obj = await rig.scan("denied");
    expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
    expect(readyOf(obj).message).toContain("spec.provider 'gcp': Google access token for 'us.gcr.io' failed");
    const visible = await rig.visibleText("denied");
    expect(visible).not.toContain("ya29.must-not-leak-anywhere");
    expect(visible).not.toContain(ACCESS_TOKEN);
  });

  it("names spec.provider and spec.image when the image is not on a Google registry", async () => {
    await rig.repository("elsewhere", { provider: "gcp", image: "docker.io/team/app" });
    const obj = await rig.scan("elsewhere");
    expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
    expect(readyOf(obj).message).toContain("spec.provider 'gcp' needs spec.image on a Google registry");
    expect(readyOf(obj).message).toContain("spec.image 'docker.io/team/app' is on 'index.docker.io'");
  });

  it("stops waiting for a stalled metadata server at spec.timeout", async () => {
    metadata.mode = "stall";
    await rig.repository("stalled", { provider: "gcp", image: "asia.gcr.io/team/app", timeout: "1s" });
    const obj = await rig.scan("stalled");
    expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
    expect(readyOf(obj).message).toContain("did not answer within spec.timeout");
  });
});

describe("provider: gcp with a service-account key (GOOGLE_APPLICATION_CREDENTIALS)", () => {
  it("signs the JWT grant, gets the token from Google's token endpoint through the proxy, and scans", async () => {
    const pki = rig.registry.pki;
    if (!pki || !rig.registry.caPath) throw new Error("tls registry without pki");
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const clientEmail = "image-reflector@fleet-project.iam.gserviceaccount.com";
    const google = await startGoogleTokenServer(rig.servers, {
      pki,
      clientEmail,
      publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
      accessToken: ACCESS_TOKEN,
    });
    rig.route("oauth2.googleapis.com", google.target);
    const keyFile = join(mkdtempSync(join(tmpdir(), "imagectl-gcp-key-")), "key.json");
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: "service_account",
        project_id: "fleet-project",
        private_key_id: "0123456789abcdef",
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        client_email: clientEmail,
        client_id: "100000000000000000001",
        token_uri: "https://oauth2.googleapis.com/token",
      }),
    );
    const restore = setEnv({
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      // Google's endpoint here has the test CA's certificate, trusted as an operator would.
      NODE_EXTRA_CA_CERTS: rig.registry.caPath,
    });
    try {
      const paths = metadata.paths.length;
      await rig.repository("keyed", { provider: "gcp", image: "us-docker.pkg.dev/proj/team/app" });
      await rig.registry.pushTags("proj/team/app", ["v4"]);
      const obj = await rig.scan("keyed");
      expect(readyOf(obj), readyOf(obj).message).toMatchObject({ status: "True", reason: "Succeeded" });
      expect(google.grants).toEqual([
        {
          scope:
            "https://www.googleapis.com/auth/cloud-platform https://www.googleapis.com/auth/userinfo.email",
          refused: "",
        },
      ]);
      expect(rig.proxy.tunnels).toContain("oauth2.googleapis.com:443");
      expect(metadata.paths.length).toBe(paths); // the key file comes first in ADC
    } finally {
      restore();
    }
  });
});
