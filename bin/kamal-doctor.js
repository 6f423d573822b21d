#!/usr/bin/env node
// kamal-doctor: reads the output of Kamal deploys and tells you what broke and how to fix it.
// The program lives in dist/ (built by `npm run build`); this file only starts it.
import { existsSync } from "node:fs";
import module from "node:module";

// Node ≥ 22.1 can keep the compiled code of the modules loaded from here on in an on-disk cache
// (Node's default place: NODE_COMPILE_CACHE, else node-compile-cache under the OS temp dir), so a
// later run skips compiling them. Older Node has no such function: nothing happens there.
if (typeof module.enableCompileCache === "function") {
  try {
    module.enableCompileCache();
  } catch {
    // A cache that cannot be set up only costs the compile time it would have saved.
  }
}

const entry = new URL("../dist/kamal-doctor.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("kamal-doctor: not built yet; run `npm run build` first\n");
  process.exit(2);
}
await import(entry.href);
