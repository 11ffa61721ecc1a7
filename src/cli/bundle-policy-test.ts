// Entry of the bundle dist/cli/imagectl-policy-test.cjs (`imagectl policy test` only, see
// entry.ts's routeOf): a bundle without the store, controller, Git and YAML code is less to
// read and map at every start of a command that is run in loops.
import { restoreDeferredCaCerts } from "./entry.js";
import { main } from "./policy-test-main.js";

export { exitWhenFlushed } from "./entry.js";

export function run(argv: string[]): Promise<number> {
  restoreDeferredCaCerts(process.env);
  return main(argv);
}
