// A fake `kamal` executable for `exec --collect` tests: `kamal deploy` prints a single-role
// Kamal 2.12 health-check failure (no container logs, as Kamal prints none without a role
// barrier) and exits 1; the read-only follow-ups print output shaped like Kamal's. Every call's
// argv is appended to $FAKE_KAMAL_CALLS. FAKE_KAMAL_HANG / FAKE_KAMAL_FAIL name a subcommand
// (`app logs`, `proxy logs`, …) that hangs or fails with an SSH error; FAKE_KAMAL_SIGNAL ends the
// deploy by SIGTERM; FAKE_KAMAL_VANISH removes the executable after the deploy.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const DEPLOY_LOG = [
  "Acquiring the deploy lock...",
  "Ensure kamal-proxy is running...",
  "Detect stale containers...",
  "Start container with version 3f2a9c1e8b7d (or reboot if already running)...",
  '  INFO [b38f5a21] Running docker run --detach --restart unless-stopped --name myapp-web-3f2a9c1e8b7d --network kamal --env KAMAL_CONTAINER_NAME="myapp-web-3f2a9c1e8b7d" --env KAMAL_VERSION="3f2a9c1e8b7d" --label service="myapp" ghcr.io/acme/myapp:3f2a9c1e8b7d on 203.0.113.10',
  "  INFO [b38f5a21] Finished in 1.284 seconds with exit status 0 (successful).",
  '  INFO [9a4e7b13] Running docker exec kamal-proxy kamal-proxy deploy myapp-web --target="4f9c2d1e8a7b:80" --deploy-timeout="30s" --drain-timeout="30s" on 203.0.113.10',
  " ERROR Failed to boot web on 203.0.113.10",
  "Releasing the deploy lock...",
  "  Finished all in 41.2 seconds",
  "  ERROR (SSHKit::Command::Failed): Exception while executing on host 203.0.113.10: docker exit status: 1",
  "docker stdout: Nothing written",
  "docker stderr: Error: target failed to become healthy within configured timeout (30s)",
].join("\n");

const APP_LOGS = [
  "  INFO [2d8c5f0e] Running echo 4f9c2d1e8a7b | xargs docker logs --timestamps --tail 200 2>&1 on 203.0.113.10",
  "  INFO [2d8c5f0e] Finished in 0.143 seconds with exit status 0 (successful).",
  "App Host: 203.0.113.10",
  ...Array.from({ length: 80 }, (_, i) => `2026-06-20T10:14:02.${String(100 + i)}Z I, [2026-06-20T10:14:02] INFO -- : boot step ${i}`),
  "2026-06-20T10:14:03.501Z bin/rails aborted!",
  "2026-06-20T10:14:03.502Z ActiveRecord::ConnectionNotEstablished: connection to server at \"10.0.0.5\", port 5432 failed: Connection refused (ActiveRecord::ConnectionNotEstablished)",
  "2026-06-20T10:14:03.503Z DATABASE_URL=postgres://app:s3cr3tpassw0rd@10.0.0.5/app",
  "",
].join("\n");

const PROXY_LOGS = [
  "Proxy Host: 203.0.113.10",
  '2026-06-20T10:14:05.000Z {"time":"2026-06-20T10:14:05Z","level":"INFO","msg":"Healthcheck failed","target":"4f9c2d1e8a7b:80","error":"dial tcp 172.18.0.5:80: connect: connection refused"}',
  '2026-06-20T10:14:35.000Z {"time":"2026-06-20T10:14:35Z","level":"INFO","msg":"Target failed to become healthy","target":"4f9c2d1e8a7b:80"}',
  "",
].join("\n");

const AUDIT = [
  "  INFO [7c1e3a90] Running /usr/bin/env tail -n 50 .kamal/myapp-audit.log on 203.0.113.10",
  "  INFO [7c1e3a90] Finished in 0.101 seconds with exit status 0 (successful).",
  "App Host: 203.0.113.10",
  "[2026-06-19T08:01:12Z] [Jane Doe] Booted app version 1a2b3c4d5e6f",
  "[2026-06-20T10:13:30Z] [Jane Doe] Booted app version 3f2a9c1e8b7d",
  "",
].join("\n");

const LOCK = ["Locked by: Jane Doe at 2026-06-18T09:12:44Z", "Version: 8b1e0d7c6a5f", "Message: Automatic deploy lock", ""].join("\n");

const SCRIPT = `#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
if (process.env.FAKE_KAMAL_CALLS) fs.appendFileSync(process.env.FAKE_KAMAL_CALLS, JSON.stringify(args) + "\\n");
const words = args.filter((a, i) => !a.startsWith("-") && !(i > 0 && /^-[dcr]$|^--(?:lines|container-id|version)$/.test(args[i - 1])));
const sub = words.slice(0, 2).join(" ");
const out = (text) => process.stdout.write(text);
if (process.env.FAKE_KAMAL_HANG && sub.startsWith(process.env.FAKE_KAMAL_HANG)) { setInterval(() => {}, 1000); return; }
if (process.env.FAKE_KAMAL_FAIL && sub.startsWith(process.env.FAKE_KAMAL_FAIL)) {
  out("  ERROR (Net::SSH::ConnectionTimeout): Exception while executing on host 203.0.113.10: Net::SSH::ConnectionTimeout\\n");
  process.exit(1);
}
const texts = ${JSON.stringify({ deploy: DEPLOY_LOG + "\n", "app logs": APP_LOGS, "proxy logs": PROXY_LOGS, "traefik logs": PROXY_LOGS, audit: AUDIT, "lock status": LOCK })};
const text = texts[sub] ?? texts[words[0]];
if (text === undefined) { process.stderr.write("fake kamal: unexpected " + args.join(" ") + "\\n"); process.exit(64); }
out(text);
if (process.env.FAKE_KAMAL_SIGNAL && words[0] === "deploy") process.kill(process.pid, "SIGTERM");
// The binary is gone after the deploy (FAKE_KAMAL_VANISH): the follow-ups cannot start.
if (process.env.FAKE_KAMAL_VANISH && words[0] === "deploy") fs.unlinkSync(process.argv[1]);
process.exit(words[0] === "deploy" ? 1 : 0);
`;

/** A directory holding an executable `kamal`, to put first on PATH. */
export function fakeKamalDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-fake-kamal-"));
  const file = path.join(dir, "kamal");
  writeFileSync(file, SCRIPT);
  chmodSync(file, 0o755);
  return dir;
}
