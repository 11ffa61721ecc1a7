/**
 * Webhook payloads as each registry documents them, checked with zod at the boundary. Only the
 * fields imagectl reads are required; everything else passes (registries add fields over time).
 * The image named here is used to log and to pick which listed repositories to rescan; the tag is
 * never trusted: the rescan reads the registry.
 */
import { z } from "zod";

// Docker Hub: https://docs.docker.com/docker-hub/repos/manage/webhooks/
export const dockerHubPayload = z.object({
  push_data: z.object({ tag: z.string() }).loose(),
  repository: z.object({ repo_name: z.string(), repo_url: z.string().optional() }).loose(),
});

// Quay: https://docs.quay.io/guides/notifications.html (repo_push)
export const quayPayload = z.object({
  docker_url: z.string(),
  updated_tags: z.array(z.string()),
});

// Harbor: https://goharbor.io/docs/main/working-with-projects/project-configuration/configure-webhooks/
export const harborPayload = z.object({
  type: z.string(),
  event_data: z
    .object({
      resources: z.array(
        z.object({ tag: z.string().optional(), resource_url: z.string().optional() }).loose(),
      ),
      repository: z.object({ repo_full_name: z.string().optional(), name: z.string().optional() }).loose(),
    })
    .loose(),
});

// Nexus: https://help.sonatype.com/en/webhooks.html (component / asset events)
export const nexusPayload = z.object({
  action: z.string(),
  repositoryName: z.string().optional(),
  component: z.object({ name: z.string().optional(), version: z.string().optional() }).loose().optional(),
});

// Azure Container Registry: https://learn.microsoft.com/azure/container-registry/container-registry-webhook-reference
export const acrPayload = z.object({
  action: z.string(),
  target: z.object({ repository: z.string(), tag: z.string().optional() }).loose(),
  request: z.object({ host: z.string().optional() }).loose().optional(),
});

// GitHub `package` event (GHCR): https://docs.github.com/webhooks/webhook-events-and-payloads#package
export const githubPackagePayload = z.object({
  action: z.string(),
  package: z
    .object({
      name: z.string(),
      package_type: z.string().optional(),
      package_version: z
        .object({
          container_metadata: z
            .object({ tag: z.object({ name: z.string().optional() }).loose().optional() })
            .loose()
            .optional(),
        })
        .loose()
        .optional(),
    })
    .loose(),
});
