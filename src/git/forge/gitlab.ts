/**
 * `bootstrap gitlab`: the project is looked up and, when missing, created (with a README, so the
 * default branch exists) in the user's namespace or the owner group, as `flux bootstrap gitlab` does.
 */
import { type ForgeClientOptions, forgeToken, gitlabClient } from "./clients.js";
import { ForgeError, forgeFailure, forgeStatus } from "./errors.js";
import type { ForgeRepository, RepositoryRequest } from "./types.js";

interface ProjectAnswer {
  http_url_to_repo?: unknown;
  default_branch?: unknown;
}

function repositoryOf(p: ProjectAnswer, created: boolean, where: string): ForgeRepository {
  if (typeof p.http_url_to_repo !== "string")
    throw new ForgeError(`GitLab: ${where}: the answer has no http_url_to_repo`);
  return {
    cloneUrl: p.http_url_to_repo,
    defaultBranch: typeof p.default_branch === "string" ? p.default_branch : undefined,
    created,
  };
}

export async function ensureGitLabRepository(
  req: RepositoryRequest,
  o: ForgeClientOptions,
): Promise<ForgeRepository> {
  const gl = gitlabClient(o);
  const token = forgeToken("gitlab", o.env);
  const fullPath = `${req.owner}/${req.repository}`;
  const where = `project '${fullPath}'`;
  try {
    return repositoryOf((await gl.Projects.show(fullPath)) as ProjectAnswer, false, where);
  } catch (err) {
    if (err instanceof ForgeError) throw err;
    if (forgeStatus(err) !== 404) throw forgeFailure(`GitLab: get ${where}`, err, token);
  }
  let namespaceId: number | undefined;
  if (!req.personal) {
    try {
      const group = (await gl.Groups.show(req.owner)) as { id?: unknown };
      if (typeof group.id !== "number") throw new ForgeError(`GitLab: group '${req.owner}' has no id`);
      namespaceId = group.id;
    } catch (err) {
      if (err instanceof ForgeError) throw err;
      throw forgeFailure(`GitLab: get group '${req.owner}'`, err, token);
    }
  }
  try {
    const created = await gl.Projects.create({
      name: req.repository,
      path: req.repository,
      visibility: req.visibility,
      initializeWithReadme: true,
      ...(req.description ? { description: req.description } : {}),
      ...(namespaceId !== undefined ? { namespaceId } : {}),
    });
    return repositoryOf(created as ProjectAnswer, true, where);
  } catch (err) {
    if (err instanceof ForgeError) throw err;
    throw forgeFailure(`GitLab: create ${where}`, err, token);
  }
}
