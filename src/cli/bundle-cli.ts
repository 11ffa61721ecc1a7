// Entry of the bundle dist/cli/imagectl-cli.cjs (every command): see scripts/bundle.mjs.
import { restoreDeferredCaCerts } from "./entry.js";
import { main } from "./main.js";

export { exitWhenFlushed } from "./entry.js";

export function run(argv: string[]): Promise<number> {
  restoreDeferredCaCerts(process.env);
  return main(argv);
}
