// Entry of the bundle dist/cli/imagectl-cli.cjs (every command): see scripts/bundle.mjs.
import { runWith } from "./entry.js";
import { main } from "./main.js";

export { beforeCodeCache, exitWhenFlushed } from "./entry.js";

export const run = runWith(main);
