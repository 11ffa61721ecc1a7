// Entry of the bundle dist/cli/imagectl-policy-test.cjs (`imagectl policy test` only, see
// entry.ts's routeOf): a bundle without the store, controller, Git and YAML code is less to
// read and map at every start of a command that is run in loops.
import { runWith } from "./entry.js";
import { main } from "./policy-test-main.js";

export { beforeCodeCache, exitWhenFlushed } from "./entry.js";

export const run = runWith(main);
