// Process entry point: bin/imagectl.js imports the compiled form of this file.
import { main } from "./main.js";

process.exitCode = await main(process.argv);
