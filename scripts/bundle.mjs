#!/usr/bin/env node
// Bundles the CLI into dist/cli/imagectl-<route>.cjs (one per route of src/cli/launcher/entry.ts),
// which dist/cli/launcher/launch.cjs compiles and calls through a V8 code cache (see
// src/cli/launcher/launch.cts for why). Run by `npm run build` after tsc.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROUTES = ["cli", "policy-test"];

/**
 * `await import("node:crypto")` would stay an import() in a CommonJS bundle, and Node 20 loses
 * a script's dynamic-import callback when the script comes from a code cache ("A dynamic import
 * callback was not specified"). So each such import becomes a lazily initialised module of the
 * bundle that requires the builtin: still loaded only when first used.
 */
const lazyBuiltins = {
  name: "lazy-builtins",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) =>
      args.kind === "dynamic-import" ? { path: args.path, namespace: "lazy-builtin" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

/**
 * commander requires node:child_process when it loads, for executable subcommands (`git-foo`
 * style), which imagectl does not have; loading it costs ~2 ms of every start. Its copy becomes
 * a proxy that loads the real module on first use.
 */
const lazyChildProcessForCommander = {
  name: "lazy-child-process-for-commander",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: "child_process", namespace: "lazy-child-process" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-child-process" }, () => ({
      contents:
        'let real;\nmodule.exports = new Proxy({}, { get: (_, key) => (real ??= require("node:child_process"))[key] });\n',
      loader: "js",
    }));
  },
};

/**
 * Packages only the long-running daemon (or a rare command) loads stay out of the bundles and are
 * required from node_modules when first used. Every CLI start reads, hashes and deserialises the
 * whole bundle through the code cache, so 1.5 MB of fastify, ajv, full zod and prom-client that
 * a `get` or `run --once` never runs cost each of them time and memory (run --once: +8% wall,
 * +37 MB RSS). The modules that import them are themselves reached only through `await import()`,
 * so the require() sits inside that module's lazy initialiser. `zod` means the full API only:
 * `zod/mini`, which validates every boundary the CLI crosses, stays bundled.
 */
// The forge clients (`bootstrap github|gitlab`, pull requests) are the rare commands: ~2 MB, and
// gitbeaker's rate limiter carries an import() that must not reach a bundle.
const DAEMON_ONLY = [
  "fastify",
  "@fastify/rate-limit",
  "prom-client",
  "zod",
  "@octokit/rest",
  "@gitbeaker/rest",
];
// The cloud SDKs that mint registry credentials for `provider: aws | gcp | azure`
// (src/registry/cloud/{aws,ecr-public,gcp,azure}.ts, each reached only through `await import()`
// from src/registry/cloud/index.ts): ~10 MB together, needed only by repositories naming a cloud.
const CLOUD_SDKS = [
  "@aws-sdk/client-ecr",
  "@aws-sdk/client-ecr-public",
  "google-auth-library",
  "@azure/identity",
];
const daemonOnlyExternal = {
  name: "daemon-only-external",
  setup(b) {
    const names = [...DAEMON_ONLY, ...CLOUD_SDKS];
    const exact = new RegExp(`^(${names.map((p) => p.replace(/[/.]/g, "\\$&")).join("|")})$`);
    b.onResolve({ filter: exact }, (args) => ({ path: args.path, external: true }));
  },
};

for (const route of ROUTES) {
  const outfile = join(root, `dist/cli/imagectl-${route}.cjs`);
  await bundle(join(root, `src/cli/launcher/bundle-${route}.ts`), outfile);
  const text = readFileSync(outfile, "latin1");
  // The launcher reads a bundle as Latin-1 (faster than UTF-8): that needs pure ASCII.
  const nonAscii = [...text].findIndex((c) => c.charCodeAt(0) > 0x7f);
  if (nonAscii !== -1) fail(`non-ASCII character at offset ${nonAscii} of ${outfile}`);
  // See lazyBuiltins: an import() left in a bundle breaks once its code cache is used.
  const dynamicImport = /\bimport\(/.exec(text);
  if (dynamicImport) fail(`${outfile} has a dynamic import() at offset ${dynamicImport.index}`);
}

// The policy evaluation worker (src/cli/launcher/policy-worker-main.ts, started by `serve` and
// `run` through src/cli/policy-pool-setup.ts): a plain CommonJS file, since a worker thread is
// started from a file name, not through the launcher's code cache.
const workerFile = join(root, "dist/cli/imagectl-policy-worker.cjs");
await bundle(join(root, "src/cli/launcher/policy-worker-main.ts"), workerFile, { plain: true });

function bundle(entry, outfile, { plain = false } = {}) {
  const importMetaUrl = 'const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;';
  return build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // A native addon; a package loaded on demand with require() (src/policy/regex/re2js-module.ts);
    // the PostgreSQL driver, loaded only when --store names a PostgreSQL server.
    external: ["better-sqlite3", "re2js", "pg"],
    plugins: [lazyBuiltins, lazyChildProcessForCommander, daemonOnlyExternal],
    // Smaller text to read and hash; names kept readable enough for stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    charset: "ascii",
    // The bundle is one function expression with CommonJS's parameters, which the launcher
    // compiles as is and calls: wrapping it at run time (module.wrap) would copy the whole text
    // once more on every start. Strict inside, as the ES modules it is made of.
    // import.meta.url in a CommonJS bundle: the bundle's own URL. It sits in dist/cli like the
    // modules it replaces, so URLs relative to it (../../package.json) resolve the same.
    banner: {
      js: plain
        ? `"use strict";${importMetaUrl}`
        : `(function (exports, require, module, __filename, __dirname) {"use strict";${importMetaUrl}`,
    },
    footer: { js: plain ? "" : "\n})" },
    define: { "import.meta.url": "__importMetaUrl" },
    logLevel: "warning",
  });
}

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}
