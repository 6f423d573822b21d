// Remembers, while the deploy streams, which app container it started: the `docker run` line's
// `--name` and the version it deploys. `exec --collect` falls back on these when the failed
// command names no kamal-proxy `--target`. Bounded: two strings.

import type { ContainerFacts } from "./plan.js";

const ANSI = /\x1b\[[0-9;]*m/g;
const DOCKER_RUN = /Running docker run .*--name ([\w.-]+)/;
const VERSION = /KAMAL_VERSION="?([\w.-]+)|^Start container with version ([\w.-]+)/;

export class ContainerWatch implements ContainerFacts {
  containerId: string | null = null;
  version: string | null = null;

  line(raw: string): void {
    if (!raw.includes("docker run") && !raw.includes("Start container with version")) return;
    const text = raw.replace(ANSI, "").replace(/^\S*\d{4}-\d{2}-\d{2}T[\d:.]+Z /, "");
    const run = DOCKER_RUN.exec(text);
    // Kamal's proxy and accessories are started with `docker run` too; the app's carries its version.
    const version = VERSION.exec(text);
    if (version) this.version = version[1] ?? version[2] ?? this.version;
    if (run && /KAMAL_VERSION|--label service=/.test(text) && !/--name (?:kamal-proxy|traefik)\b/.test(text)) this.containerId = run[1] ?? null;
  }
}
