/**
 * Which cloud registry an image is on, read from its host the way Flux's fluxcd/pkg/auth reads
 * it: the ECR region comes from the host, `public.ecr.aws` is ECR Public (whose token API lives
 * only in us-east-1), the Azure cloud (hence the ARM scope) comes from the host's suffix. An image on another host is refused before any cloud is asked for a token.
 * The patterns are fixed, anchored and free of nested repetition, so they run in linear time.
 */

export type CloudProvider = "aws" | "gcp" | "azure";

/** The registry part of an image, checked against what `spec.provider` can mint credentials for. */
export type CloudRegistry =
  | {
      provider: "aws";
      registry: string;
      /** Which AWS API mints the token: ECR for a private registry, ECR Public for public.ecr.aws. */
      api: "ecr" | "ecr-public";
      region: string;
      fips: boolean;
    }
  | { provider: "gcp"; registry: string }
  | { provider: "azure"; registry: string; scope: string };

/** `spec.image` is not on a registry of `spec.provider`'s cloud. */
export class CloudHostMismatchError extends Error {
  override name = "CloudHostMismatchError";
}

// <account>.dkr.ecr[-fips].<region>.<partition domain>: amazonaws.com, amazonaws.com.cn, the
// European Sovereign Cloud's amazonaws.eu and the isolated partitions, as the ECR credential
// helper's pattern (which Flux uses) lists them.
const ECR =
  /^[0-9]+\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.(?:amazonaws\.com|amazonaws\.com\.cn|amazonaws\.eu|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$/;
// gcr.io, <region>.gcr.io and Artifact Registry's <location>-docker.pkg.dev.
// Flux compares the whole host with this name (fluxcd/pkg auth/aws); ECR Public has no regional
// or partition variants of its registry host.
const ECR_PUBLIC = "public.ecr.aws";
// ECR Public's GetAuthorizationToken is served in us-east-1 only (AWS's ECR Public user guide;
// Flux pins the same region), wherever the caller runs.
const ECR_PUBLIC_REGION = "us-east-1";
const GCP = /^(?:[a-z0-9.-]+\.)?gcr\.io$|^[a-z0-9.-]+-docker\.pkg\.dev$/;
const ACR = /^[a-z0-9.-]+\.azurecr\.(io|cn|de|us)$/;

// The Azure Resource Manager audience of each cloud: Flux asks Entra ID for `<ARM endpoint>/.default`.
const ARM_SCOPE: Record<string, string> = {
  io: "https://management.azure.com/.default",
  de: "https://management.azure.com/.default",
  cn: "https://management.chinacloudapi.cn/.default",
  us: "https://management.usgovcloudapi.net/.default",
};

const EXPECTED: Record<CloudProvider, string> = {
  aws: "an Amazon ECR registry (<account>.dkr.ecr.<region>.amazonaws.com, .amazonaws.com.cn, .amazonaws.eu, a -fips host or public.ecr.aws)",
  gcp: "a Google registry (gcr.io, <region>.gcr.io or <location>-docker.pkg.dev)",
  azure: "an Azure Container Registry (<name>.azurecr.io, .azurecr.cn, .azurecr.de or .azurecr.us)",
};

/**
 * The cloud registry of `registry` (host, no port expected) for `provider`, or a
 * CloudHostMismatchError naming spec.provider and spec.image.
 */
export function cloudRegistryFor(provider: CloudProvider, registry: string, image: string): CloudRegistry {
  const host = registry.toLowerCase();
  if (provider === "aws") {
    if (host === ECR_PUBLIC)
      return { provider, registry: host, api: "ecr-public", region: ECR_PUBLIC_REGION, fips: false };
    const m = ECR.exec(host);
    if (m?.[2]) return { provider, registry: host, api: "ecr", region: m[2], fips: m[1] !== undefined };
  } else if (provider === "gcp") {
    if (GCP.test(host)) return { provider, registry: host };
  } else {
    const m = ACR.exec(host);
    const scope = m?.[1] ? ARM_SCOPE[m[1]] : undefined;
    if (scope) return { provider, registry: host, scope };
  }
  throw new CloudHostMismatchError(
    `spec.provider '${provider}' needs spec.image on ${EXPECTED[provider]}; spec.image '${image}' is on '${registry}'`,
  );
}
