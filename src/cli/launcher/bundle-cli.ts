// Entry of the bundle dist/cli/imagectl-cli.cjs (every command): see scripts/bundle.mjs.

import { main } from "../main.js";
import { runWith } from "./entry.js";

export { beforeCodeCache, exitWhenFlushed } from "./entry.js";

export const run = runWith(main);
