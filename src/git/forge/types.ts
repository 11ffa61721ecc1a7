/** What `bootstrap github|gitlab` asks of a forge and gets back. */
export interface RepositoryRequest {
  owner: string;
  repository: string;
  /** The owner is the authenticated user, not an organization / group (Flux's `--personal`). */
  personal: boolean;
  visibility: "private" | "public" | "internal";
  description?: string;
}

export interface ForgeRepository {
  /** HTTPS clone URL as the forge gives it. */
  cloneUrl: string;
  defaultBranch?: string;
  created: boolean;
}
