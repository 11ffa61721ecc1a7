import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookPath } from "../../src/api/webhook-path.js";
import { runCli } from "../support/cli.js";

const TOKEN = "T0k3n-never-printed";
const SLACK = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX";

/** The cells of each table line (tablewriter pads with spaces and a tab). */
const rows = (table: string) =>
  table
    .trimEnd()
    .split("\n")
    .map((l) => l.split(/ *\t/).map((c) => c.trim()));

describe("receiver, alert-provider and alert: create → get → export → apply → suspend/resume → delete", () => {
  let dir: string;
  const cli = (...args: string[]) => runCli([...args, "--home", join(dir, "home")]);
  const hook = () => webhookPath(TOKEN, "app-hook", "flux-system");

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "imagectl-notify-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("creates the token secret without printing it", async () => {
    const r = await cli("create", "secret", "generic", "webhook-token", `--from-literal=token=${TOKEN}`);
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).not.toContain(TOKEN);
    expect((await cli("get", "secrets")).stdout).toMatch(/flux-system\s+webhook-token\s+Opaque/);
  });

  it("creates a Receiver and prints its webhook path, as flux does", async () => {
    const r = await cli(
      "create",
      "receiver",
      "app-hook",
      "--type=generic",
      "--secret-ref=webhook-token",
      "--resource=ImageRepository/app",
    );
    expect(r.stderr).toBe(
      [
        "✚ generating Receiver",
        "► applying Receiver",
        "✔ Receiver created",
        "◎ waiting for Receiver reconciliation",
        "✔ Receiver reconciliation completed",
        `✔ generated webhook URL ${hook()}`,
        "",
      ].join("\n"),
    );
    expect(r.code).toBe(0);
  });

  it("creates a Provider and an Alert; the address is never printed", async () => {
    const p = await cli(
      "create",
      "alert-provider",
      "chat",
      "--type=slack",
      "--channel=general",
      `--address=${SLACK}`,
    );
    expect(p.code).toBe(0);
    expect(p.stderr).toContain("✔ Provider created");
    expect(p.stderr + p.stdout).not.toContain("XXXX");
    const a = await cli(
      "create",
      "alert",
      "on-policies",
      "--provider-ref=chat",
      "--event-source=ImagePolicy/*",
      "--event-severity=info",
    );
    expect(a.code).toBe(0);
    expect(a.stderr).toContain("✔ Alert created");
  });

  it("gets them in Flux's columns", async () => {
    const rcv = await cli("get", "receivers");
    expect(rows(rcv.stdout)).toEqual([
      ["NAME", "SUSPENDED", "READY", "MESSAGE"],
      ["app-hook", "False", "True", `Receiver initialized for path: ${hook()}`],
    ]);
    const providers = rows((await cli("get", "alert-providers")).stdout);
    expect(providers[0]).toEqual(["NAME", "READY", "MESSAGE"]);
    expect(providers[1]?.slice(0, 2)).toEqual(["chat", "True"]);
    const alerts = rows((await cli("get", "alerts", "-A", "--no-header")).stdout);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.slice(0, 4)).toEqual(["flux-system", "on-policies", "False", "True"]);
    // Flux's singular aliases
    expect((await cli("get", "receiver", "app-hook")).stdout).toContain("app-hook");
    const none = await cli("get", "alerts", "-n", "other");
    expect(none.stderr).toBe('✗ no Alert objects found in "other" namespace\n');
  });

  it("get -o json|yaml shows a Provider's address without its token", async () => {
    const json = await cli("get", "alert-provider", "chat", "-o", "json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).spec.address).toBe("https://hooks.slack.com/<redacted>");
    const yaml = await cli("get", "alert-providers", "-o", "yaml");
    expect(yaml.stdout).toContain("address: https://hooks.slack.com/<redacted>");
    expect(yaml.stdout + json.stdout).not.toContain("XXXX");
    const rcv = JSON.parse((await cli("get", "receiver", "app-hook", "-o", "json")).stdout);
    expect(rcv.status.webhookPath).toBe(hook());
  });

  it("exports manifests as flux export does, and they apply back unchanged", async () => {
    const exported = [
      (await cli("export", "alert-provider", "chat")).stdout,
      (await cli("export", "alert", "--all")).stdout,
      (await cli("export", "receiver", "app-hook")).stdout,
    ].join("");
    expect(exported).toBe(`---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Provider
metadata:
  name: chat
  namespace: flux-system
spec:
  address: ${SLACK}
  channel: general
  type: slack
---
apiVersion: notification.toolkit.fluxcd.io/v1beta3
kind: Alert
metadata:
  name: on-policies
  namespace: flux-system
spec:
  eventSeverity: info
  eventSources:
  - kind: ImagePolicy
    name: '*'
  providerRef:
    name: chat
---
apiVersion: notification.toolkit.fluxcd.io/v1
kind: Receiver
metadata:
  name: app-hook
  namespace: flux-system
spec:
  resources:
  - kind: ImageRepository
    name: app
  secretRef:
    name: webhook-token
  type: generic
`);
    const file = join(dir, "notify.yaml");
    writeFileSync(file, exported);
    const same = await cli("apply", "-f", file);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe(
      [
        "Provider/flux-system/chat unchanged",
        "Alert/flux-system/on-policies unchanged",
        "Receiver/flux-system/app-hook unchanged",
        "",
      ].join("\n"),
    );
    // Into a fresh home: the same objects, exported the same.
    const fresh = (...args: string[]) => runCli([...args, "--home", join(dir, "fresh")]);
    await fresh("create", "secret", "generic", "webhook-token", `--from-literal=token=${TOKEN}`);
    expect((await fresh("apply", "-f", file)).code).toBe(0);
    const again = [
      (await fresh("export", "alert-provider", "--all")).stdout,
      (await fresh("export", "alert", "on-policies")).stdout,
      (await fresh("export", "receiver", "--all")).stdout,
    ].join("");
    expect(again).toBe(exported);
    expect((await fresh("get", "receivers", "--no-header")).stdout).toContain(hook());
  });

  it("suspends and resumes each kind, in Flux's words", async () => {
    for (const [word, kind, name, human] of [
      ["receiver", "Receiver", "app-hook", "receiver"],
      ["alert", "Alert", "on-policies", "alert"],
      ["alert-provider", "Provider", "chat", "alert provider"],
    ] as const) {
      const s = await cli("suspend", word, name);
      expect(s.code).toBe(0);
      expect(s.stderr).toBe(`► suspending ${human} ${name} in flux-system namespace\n✔ ${human} suspended\n`);
      const got = JSON.parse((await cli("get", word, name, "-o", "json")).stdout);
      expect(got.spec.suspend).toBe(true);
      const r = await cli("resume", word, name);
      expect(r.stderr).toContain(
        `► resuming ${human} ${name} in flux-system namespace\n✔ ${human} resumed\n`,
      );
      expect(r.stderr).toContain(`◎ waiting for ${kind} reconciliation`);
      expect(r.code).toBe(0);
      const back = JSON.parse((await cli("get", word, name, "-o", "json")).stdout);
      expect(back.spec.suspend ?? false).toBe(false);
    }
    expect(rows((await cli("get", "alerts", "--no-header")).stdout)[0]?.[1]).toBe("False");
  });

  it("reconciles each kind on request", async () => {
    const r = await cli("reconcile", "receiver", "app-hook");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("► annotating Receiver app-hook in flux-system namespace");
    expect(r.stderr).toContain(`✔ generated webhook URL ${hook()}`);
    expect((await cli("reconcile", "alert", "on-policies")).code).toBe(0);
    expect((await cli("reconcile", "alert-provider", "chat")).code).toBe(0);
    await cli("suspend", "alert", "on-policies");
    const suspended = await cli("reconcile", "alert", "on-policies");
    expect(suspended.code).toBe(1);
    expect(suspended.stderr).toBe("✗ resource is suspended\n");
  });

  it("deletes each kind", async () => {
    for (const [word, kind, name, human] of [
      ["alert", "Alert", "on-policies", "alert"],
      ["alert-provider", "Provider", "chat", "alert provider"],
      ["receiver", "Receiver", "app-hook", "receiver"],
    ] as const) {
      const d = await cli("delete", word, name, "--silent");
      expect(d.code).toBe(0);
      expect(d.stderr).toBe(`► deleting ${human} ${name} in flux-system namespace\n✔ ${human} deleted\n`);
      const missing = await cli("delete", word, name, "-s");
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain(`✗ ${kind} object '${name}' not found in "flux-system" namespace`);
    }
    expect((await cli("get", "receivers")).stderr).toBe(
      '✗ no Receiver objects found in "flux-system" namespace\n',
    );
  });
});
