// Which hosts each provider accepts (Flux's patterns in fluxcd/pkg/auth), and what a cloud's
// error text keeps once scrubbed.
import { describe, expect, it } from "vitest";
import { scrubCloudMessage } from "../../../src/registry/cloud/errors.js";
import { CloudHostMismatchError, cloudRegistryFor } from "../../../src/registry/cloud/hosts.js";

describe("cloudRegistryFor", () => {
  it("reads the ECR region from the host, FIPS and China partitions included", () => {
    expect(cloudRegistryFor("aws", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "i")).toEqual({
      provider: "aws",
      registry: "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
      api: "ecr",
      region: "eu-west-1",
      fips: false,
    });
    expect(cloudRegistryFor("aws", "1.dkr.ecr-fips.us-gov-west-1.amazonaws.com", "i")).toMatchObject({
      region: "us-gov-west-1",
      fips: true,
    });
    expect(cloudRegistryFor("aws", "1.dkr.ecr.cn-north-1.amazonaws.com.cn", "i")).toMatchObject({
      region: "cn-north-1",
    });
    // The European Sovereign Cloud's partition, as in Flux's pattern.
    expect(cloudRegistryFor("aws", "1.dkr.ecr.eusc-de-east-1.amazonaws.eu", "i")).toMatchObject({
      region: "eusc-de-east-1",
    });
  });

  it("takes public.ecr.aws, and only that host, for ECR Public in us-east-1", () => {
    expect(cloudRegistryFor("aws", "PUBLIC.ecr.aws", "i")).toEqual({
      provider: "aws",
      registry: "public.ecr.aws",
      api: "ecr-public",
      region: "us-east-1",
      fips: false,
    });
  });

  it("accepts gcr.io, its regional hosts and Artifact Registry", () => {
    for (const host of ["gcr.io", "eu.gcr.io", "us-docker.pkg.dev", "europe-west1-docker.pkg.dev"])
      expect(cloudRegistryFor("gcp", host, "i")).toEqual({ provider: "gcp", registry: host });
  });

  it("picks the Resource Manager scope of the registry's Azure cloud", () => {
    const scope = (host: string): string | undefined => {
      const reg = cloudRegistryFor("azure", host, "i");
      return reg.provider === "azure" ? reg.scope : undefined;
    };
    expect(scope("fleet.azurecr.io")).toBe("https://management.azure.com/.default");
    expect(scope("fleet.azurecr.cn")).toBe("https://management.chinacloudapi.cn/.default");
    expect(scope("fleet.azurecr.us")).toBe("https://management.usgovcloudapi.net/.default");
    expect(scope("fleet.azurecr.de")).toBe("https://management.azure.com/.default");
  });

  it.each([
    ["aws", "public.ecr.aws.evil.example"],
    ["aws", "mirror.public.ecr.aws"],
    ["gcp", "public.ecr.aws"],
    ["aws", "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example"],
    ["aws", "ghcr.io"],
    ["gcp", "gcr.io.evil.example"],
    ["gcp", "docker.pkg.dev"],
    ["azure", "azurecr.io"],
    ["azure", "fleet.azurecr.io.evil.example"],
  ] as const)("refuses %s on %s, naming spec.provider and spec.image", (provider, host) => {
    const image = `${host}/team/app`;
    expect(() => cloudRegistryFor(provider, host, image)).toThrow(CloudHostMismatchError);
    expect(() => cloudRegistryFor(provider, host, image)).toThrow(
      new RegExp(
        `^spec\\.provider '${provider}' needs spec\\.image on .*; spec\\.image '${image.replace(/\./g, "\\.")}' is on`,
      ),
    );
  });
});

describe("scrubCloudMessage", () => {
  it("drops JWTs, Google tokens, opaque runs and given secrets; keeps words, ARNs and URLs", () => {
    const text =
      "denied for eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl and ya29.a0AfH6SMBx-1 " +
      "session IQoJb3JpZ2luX2VjEJr9Wk8sZXUtd2VzdC0xIkcwRQIhAKq7 secret-value " +
      "arn:aws:iam::123456789012:role/ci see https://aka.ms/azsdk/js/identity/workloadidentitycredential/troubleshoot";
    const out = scrubCloudMessage(text, ["secret-value"]);
    expect(out).not.toMatch(/eyJ|ya29\.|IQoJ|secret-value/);
    expect(out).toContain("arn:aws:iam::123456789012:role/ci");
    expect(out).toContain("https://aka.ms/azsdk/js/identity/workloadidentitycredential/troubleshoot");
  });
});
