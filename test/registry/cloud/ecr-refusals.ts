// The refusal cases ECR and ECR Public share (ecr.test.ts, ecr-public.test.ts): one set of tests,
// registered by each API's file against its own loopback endpoint, so both APIs keep the same
// checks without two copies of them drifting apart.
import { expect, it } from "vitest";
import type { ImageRepository } from "../../../src/api/types.js";
import { type EcrServer, LEAK_CANARY } from "../../support/cloud/ecr-server.js";
import { type CloudRig, readyOf, setEnv } from "../../support/cloud/harness.js";

/** What one API's test file hands the shared cases, once its beforeAll has run. */
export interface EcrUnderTest {
  rig: CloudRig;
  ecr: EcrServer;
  /** The API as messages name it: "ECR" or "ECR Public". */
  api: string;
  /** Its IAM service prefix: "ecr" or "ecr-public". */
  iam: string;
  /** What the registry accepts and the endpoint's secret key: neither may become visible. */
  password: string;
  secretKey: string;
  /**
   * Applies repository `name` (provider aws, the given spec) on a registry whose credentials are
   * not cached, and returns that registry's host.
   */
  fresh(name: string, spec?: Partial<ImageRepository["spec"]>): Promise<string>;
}

export function ecrRefusalTests(get: () => EcrUnderTest): void {
  const answered = (ecr: EcrServer): number => ecr.requests.filter((r) => r.refused === "").length;

  it("drops credentials the registry refuses, so the next scan mints new ones", async () => {
    const { rig, ecr, password, fresh } = get();
    ecr.password = "not-what-the-registry-accepts";
    try {
      await fresh("revoked");
      const before = answered(ecr);
      const refused = await rig.scan("revoked");
      expect(readyOf(refused)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
      expect(readyOf(refused).message).not.toContain("not-what-the-registry-accepts");
      ecr.password = password;
      expect(readyOf(await rig.scan("revoked")).status).toBe("True");
      expect(answered(ecr)).toBe(before + 2);
    } finally {
      ecr.password = password;
    }
  });

  it("is AuthenticationFailed naming the API when the exchange is refused, and no token leaks", async () => {
    const { rig, ecr, api, iam, password, secretKey, fresh } = get();
    ecr.mode = "deny";
    try {
      const host = await fresh("denied");
      const obj = await rig.scan("denied");
      expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
      const message = readyOf(obj).message ?? "";
      expect(message).toContain(
        `spec.provider 'aws': ${api} GetAuthorizationToken for '${host}' failed: AccessDeniedException`,
      );
      expect(message).toContain(`not authorized to perform: ${iam}:GetAuthorizationToken`);
      const visible = await rig.visibleText("denied");
      for (const secret of [LEAK_CANARY, secretKey, password]) expect(visible).not.toContain(secret);
    } finally {
      ecr.mode = "token";
    }
  });

  it("is refused by the endpoint when signed with another secret key", async () => {
    const { rig, ecr, fresh } = get();
    const restore = setEnv({ AWS_SECRET_ACCESS_KEY: "not-the-secret" });
    try {
      await fresh("wrong-key");
      const obj = await rig.scan("wrong-key");
      expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
      expect(readyOf(obj).message).toContain("InvalidSignatureException");
      expect(ecr.requests.at(-1)?.refused).toBe("signature does not match");
    } finally {
      restore();
    }
  });

  it("stops waiting for a stalled endpoint at spec.timeout", async () => {
    const { rig, ecr, api, fresh } = get();
    ecr.mode = "stall";
    try {
      await fresh("stalled", { timeout: "1s" });
      const obj = await rig.scan("stalled");
      expect(readyOf(obj)).toMatchObject({ status: "False", reason: "AuthenticationFailed" });
      expect(readyOf(obj).message).toContain(
        `${api} GetAuthorizationToken in us-east-1 did not answer within spec.timeout`,
      );
      expect(ecr.requests.at(-1)?.refused).toBe("stalled");
    } finally {
      ecr.mode = "token";
    }
  });
}
