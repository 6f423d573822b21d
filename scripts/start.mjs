// `npm start`: diagnose the bundled sample of a failed deploy with the built CLI. The sample is a
// failure, so a diagnosis (exit 1) is what success looks like here; anything else is passed on.
import path from "node:path";
import { fileURLToPath } from "node:url";

const sample = fileURLToPath(new URL("../fixtures/sample/kamal2-healthcheck-failed.log", import.meta.url));
process.argv.splice(2, process.argv.length, path.relative(process.cwd(), sample) || sample, ...process.argv.slice(2));
await import("../bin/kamal-doctor.js");
if (process.exitCode === 1) process.exitCode = 0;
