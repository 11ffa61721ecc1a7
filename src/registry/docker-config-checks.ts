// Checks of a Docker `config.json` (a file, or a secret's `.dockerconfigjson`) and of a credential
// helper's answer. Loaded on first use (see checked-json.ts for why zod/mini).
import * as z from "zod/mini";
import { checkJson } from "./checked-json.js";
import type { DockerConfigJson } from "./docker-config.js";
import { CredentialsError } from "./errors.js";

const optionalString = z.optional(z.string());

// Only the parts that carry credentials; Docker's other settings (psFormat, proxies, …) are not read.
// Null maps are tolerated as absent, as the docker CLI (Go) reads them.
const DockerConfigFile = z.object({
  auths: z.nullish(
    z.record(
      z.string(),
      z.object({
        auth: optionalString,
        username: optionalString,
        password: optionalString,
        identitytoken: optionalString,
        registrytoken: optionalString,
        email: optionalString,
      }),
    ),
  ),
  credHelpers: z.nullish(z.record(z.string(), z.string())),
  credsStore: optionalString,
});

/** `text` as a Docker config; `source` names it in the error (a file path, a secret's key). */
export function dockerConfigFromText(text: string, source: string, image: string): DockerConfigJson {
  const checked = checkJson(DockerConfigFile, text);
  if (!checked.ok) throw new CredentialsError(image, `${image}: Docker config ${source} ${checked.problem}`);
  const { auths, credHelpers, credsStore } = checked.value;
  return {
    ...(auths ? { auths } : {}),
    ...(credHelpers ? { credHelpers } : {}),
    ...(credsStore ? { credsStore } : {}),
  };
}

// The credential helper protocol's `get` answer (ServerURL is not read).
const HelperAnswer = z.object({ Username: optionalString, Secret: optionalString });

/** What `docker-credential-<helper> get` printed, checked; `helper` names it (and its registry) in the error. */
export function helperAnswerFromText(
  stdout: string,
  helper: string,
  image: string,
): { Username?: string; Secret?: string } {
  const checked = checkJson(HelperAnswer, stdout);
  if (!checked.ok)
    throw new CredentialsError(image, `${image}: answer of credential helper ${helper} ${checked.problem}`);
  return checked.value;
}
