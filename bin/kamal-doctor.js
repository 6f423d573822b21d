#!/usr/bin/env node
// kamal-doctor: reads the output of Kamal deploys and tells you what broke and how to fix it.
// The program lives in dist/ (built by `npm run build`); this file only starts it.
import { existsSync } from "node:fs";

const entry = new URL("../dist/kamal-doctor.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("kamal-doctor: not built yet; run `npm run build` first\n");
  process.exit(2);
}
await import(entry.href);
