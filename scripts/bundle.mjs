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

function bundle(entry, outfile) {
  return build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // A native addon; a package loaded on demand with require() (src/policy/regex/re2js-module.ts);
    // GitLab's client, whose rate limiter holds an import() (loaded only for GitLab merge requests).
    external: ["better-sqlite3", "re2js", "@gitbeaker/rest"],
    plugins: [lazyBuiltins, lazyChildProcessForCommander],
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
      js: '(function (exports, require, module, __filename, __dirname) {"use strict";const __importMetaUrl = require("node:url").pathToFileURL(__filename).href;',
    },
    footer: { js: "\n})" },
    define: { "import.meta.url": "__importMetaUrl" },
    logLevel: "warning",
  });
}

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}
