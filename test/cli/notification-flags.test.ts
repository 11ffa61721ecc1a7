import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { runCli } from "../support/cli.js";

let dir: string;
const home = () => join(dir, "home");
const cli = (...args: string[]) => runCli([...args, "--home", home()]);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "imagectl-notify-flags-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Flux's own examples (`flux create receiver|alert-provider|alert --help`), with kinds imagectl
// has where they name Flux kinds it does not (HelmRepository, Kustomization); the YAML is what
// `flux create … --export` prints for them.
describe("create … --export prints what flux create … --export prints", () => {
  it("receiver", async () => {
    const r = await cli(
      "create",
      "receiver",
      "github-receiver",
      "--type",
      "github",
      "--event",
      "ping",
      "--event",
      "push",
      "--secret-ref",
      "webhook-token",
      "--resource",
      "GitRepository/webapp",
      "--resource",
      "ImageRepository/webapp",
      "--export",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: github-receiver
  namespace: flux-system
spec:
  events:
  - ping
  - push
  resources:
  - kind: GitRepository
    name: webapp
  - kind: ImageRepository
    name: webapp
  secretRef:
    name: webhook-token
  type: github
`);
    // Flux's string-slice flags take comma-separated values too.
    const csv = await cli(
      "create",
      "receiver",
      "github-receiver",
      "--type=github",
      "--event=ping,push",
      "--secret-ref=webhook-token",
      "--resource=GitRepository/webapp,ImageRepository/webapp",
      "--export",
    );
    expect(csv.stdout).toBe(r.stdout);
  });

  it("alert-provider", async () => {
    const r = await cli(
      "create",
      "alert-provider",
      "slack",
      "--type",
      "slack",
      "--channel",
      "general",
      "--address",
      "https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK",
      "--secret-ref",
      "webhook-url",
      "--export",
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: slack
  namespace: flux-system
spec:
  address: https://hooks.slack.com/services/YOUR/SLACK/WEBHOOK
  channel: general
  secretRef:
    name: webhook-url
  type: slack
`);
  });

  it("alert, with labels, a namespace and a wildcard", async () => {
    const r = await cli(
      "create",
      "alert",
      "--event-severity",
      "info",
      "--event-source",
      "ImagePolicy/flux-system",
      "--event-source",
      "ImagePolicy/*.apps,ImageUpdateAutomation/app.apps",
      "--provider-ref",
      "slack",
      "--label",
      "team=a",
      "flux-system",
      "--export",
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  labels:
    team: a
  name: flux-system
  namespace: flux-system
spec:
  eventSeverity: info
  eventSources:
  - kind: ImagePolicy
    name: flux-system
  - kind: ImagePolicy
    name: '*'
    namespace: apps
  - kind: ImageUpdateAutomation
    name: app
    namespace: apps
  providerRef:
    name: slack
`);
  });

  it("an alert without --event-severity leaves it to the default, as flux does", async () => {
    const r = await cli(
      "create",
      "alert",
      "a",
      "--provider-ref=p",
      "--event-source=ImagePolicy/app",
      "--export",
    );
    expect(r.stdout).not.toContain("eventSeverity");
  });

  it("a receiver's resource keeps its dots: flux reads no namespace there", async () => {
    const r = await cli(
      "create",
      "receiver",
      "r",
      "--type=generic",
      "--secret-ref=t",
      "--resource=ImageRepository/app.v2",
      "--export",
    );
    expect(r.stdout).toContain("  - kind: ImageRepository\n    name: app.v2\n  secretRef:");
  });
});

describe("invalid flags are usage errors naming the flag (and the part of the value that is wrong)", () => {
  const RECEIVER = ["create", "receiver", "r", "--secret-ref=t", "--resource=ImageRepository/app"];
  const ALERT = ["create", "alert", "a", "--provider-ref=p"];
  const cases: [string, string[], string][] = [
    [
      "receiver type",
      [...RECEIVER, "--type=githb"],
      "✗ --type: receiver type 'githb' is not supported, must be one of: generic, generic-hmac, github, gitlab, bitbucket, harbor, dockerhub, quay, nexus, acr\n",
    ],
    [
      "no receiver type",
      RECEIVER,
      "✗ --type: required, the receiver type: one of generic, generic-hmac, github, gitlab, bitbucket, harbor, dockerhub, quay, nexus, acr\n",
    ],
    [
      "no secret",
      ["create", "receiver", "r", "--type=generic", "--resource=ImageRepository/app"],
      "✗ --secret-ref: required, the secret whose 'token' key authenticates the webhook\n",
    ],
    [
      "no resource",
      ["create", "receiver", "r", "--type=generic", "--secret-ref=t"],
      "✗ --resource: at least one resource is required (<kind>/<name>)\n",
    ],
    [
      "resource without a kind",
      [...RECEIVER, "--type=generic", "--resource=app"],
      "✗ --resource: invalid resource 'app', must be in format <kind>/<name>\n",
    ],
    [
      "resource of a kind imagectl does not have",
      [...RECEIVER, "--type=generic", "--resource=Kustomization/app"],
      "✗ --resource 'Kustomization/app': kind: unsupported kind \"Kustomization\": one of ImageRepository, ImagePolicy, ImageUpdateAutomation, GitRepository\n",
    ],
    [
      "resource with an invalid name",
      [...RECEIVER, "--type=generic", "--resource=ImageRepository/App"],
      "✗ --resource 'ImageRepository/App': name: invalid ImageRepository name \"App\": must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')\n",
    ],
    [
      "provider type",
      ["create", "alert-provider", "p", "--type=github", "--address=https://example.com/"],
      "✗ --type: provider type 'github' is not supported, must be one of: generic, generic-hmac, slack, discord, msteams\n",
    ],
    [
      "provider without an address",
      ["create", "alert-provider", "p", "--type=slack"],
      "✗ --address: an address is required, in spec.address or in the secret's 'address' (spec.secretRef)\n",
    ],
    [
      "provider address of another scheme, not echoed",
      ["create", "alert-provider", "p", "--type=generic", "--address=ftp://user:s3cret@example.com/x"],
      "✗ --address: unsupported URL scheme: expected http:// or https://\n",
    ],
    [
      "alert without provider",
      ["create", "alert", "a", "--event-source=ImagePolicy/app"],
      "✗ --provider-ref: required, the Provider to send the alerts to\n",
    ],
    [
      "alert without event source",
      ALERT,
      "✗ --event-source: at least one event source is required (<kind>/<name>)\n",
    ],
    [
      "event source with two slashes",
      [...ALERT, "--event-source=ImagePolicy/app/x"],
      "✗ --event-source: invalid event source 'ImagePolicy/app/x', must be in format <kind>/<name>\n",
    ],
    [
      "event source with an invalid namespace",
      [...ALERT, "--event-source=ImagePolicy/app,ImagePolicy/app.Apps"],
      "✗ --event-source 'ImagePolicy/app.Apps': namespace: must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name')\n",
    ],
    [
      "event severity",
      [...ALERT, "--event-source=ImagePolicy/app", "--event-severity=warning"],
      "✗ --event-severity: event severity 'warning' is not supported, must be one of: info, error\n",
    ],
  ];
  for (const [what, args, stderr] of cases) {
    it(what, async () => {
      const r = await cli(...args);
      expect(r.stderr).toBe(stderr);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
    });
  }

  it("nothing was stored", async () => {
    for (const word of ["receivers", "alert-providers", "alerts"]) {
      expect((await cli("get", word)).stderr).toMatch(/^✗ no \w+ objects found/);
    }
  });
});

describe("create secret generic --from-literal", () => {
  it("stores each key=value (values may hold '='), printing none", async () => {
    const r = await cli(
      "create",
      "secret",
      "generic",
      "hmac",
      "--from-literal=token=abc=def",
      "--from-literal",
      "address=https://example.com/hook?sig=xyz",
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("✔ secret 'flux-system/hmac' saved\n");
    const store = await openStore({ home: home() });
    try {
      expect((await store.getSecret("flux-system", "hmac"))?.data).toEqual({
        token: "abc=def",
        address: "https://example.com/hook?sig=xyz",
      });
    } finally {
      await store.close();
    }
  });

  it("a literal without '=' is a usage error that does not echo it", async () => {
    const r = await cli("create", "secret", "generic", "s", "--from-literal=s3cret-value");
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("✗ --from-literal: expected key=value\n");
  });
});
