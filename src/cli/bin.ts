// Unbundled process entry (tests, `node --import tsx src/cli/bin.ts`). The installed command
// runs bin/imagectl → dist/cli/launcher/launch.cjs, which loads the same `run` from the bundle.
import { exitWhenFlushed, run } from "./launcher/entry.js";

exitWhenFlushed(await run(process.argv));
