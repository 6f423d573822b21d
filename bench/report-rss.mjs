// Preloaded with `node --import` when /usr/bin/time is missing: reports the process's peak RSS
// (KiB, like `time -v`) on stderr as it exits, so the benchmark can read it.
import { writeSync } from "node:fs";

process.on("exit", () => {
  writeSync(2, `\nbench-max-rss-kib=${process.resourceUsage().maxRSS}\n`);
});
