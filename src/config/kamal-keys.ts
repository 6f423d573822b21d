// What each Kamal major version accepts in deploy.yml, kept as this project's own data: key names
// per section, the minor version a key appeared in (Kamal validates against its docs examples
// since 1.7, so a key newer than the installed Kamal is an "unknown key" error), and defaults.
// Facts taken from Kamal's configuration docs and code (lib/kamal/configuration) at each tag.
//
// Section spec syntax, one token per key:
//   name            a value (any type this check does not descend into)
//   name@2.6        appeared in 2.6.0
//   name>section    a map checked against another section spec
//   name*           a map with free-form keys (labels, options, args, …)

export type Major = 1 | 2;

const SECTIONS: Record<Major, Record<string, string>> = {
  2: {
    root:
      "service image labels* volumes registry>registry servers env>env asset_path hooks_path hooks_output@2.11 secrets_path@2.9 " +
      "error_pages_path@2.6 require_destination primary_role allow_empty_roles retain_containers minimum_version readiness_delay " +
      "deploy_timeout drain_timeout stop_timeout@2.12 run_directory ssh>ssh builder>builder accessories proxy>proxy sshkit>sshkit " +
      "boot>boot logging>logging output>output@2.12 aliases*",
    proxy:
      "host hosts@2.1 app_port ssl>proxy.ssl ssl_redirect@2.6 forward_headers response_timeout path_prefix@2.7 path_prefixes@2.8 " +
      "strip_path_prefix@2.7 healthcheck>proxy.healthcheck buffering>proxy.buffering logging>proxy.logging run>proxy.run@2.10",
    "proxy.healthcheck": "interval path timeout",
    "proxy.buffering": "requests responses max_request_body max_response_body memory",
    "proxy.logging": "request_headers response_headers",
    "proxy.run": "http_port https_port metrics_port debug log_max_size publish bind_ips registry repository version options*",
    "proxy.ssl": "certificate_pem@2.8 private_key_pem@2.8",
    builder:
      "arch remote local pack>builder.pack@2.7 cache>builder.cache context dockerfile target args* secrets ssh driver provenance@2.3 sbom@2.4",
    "builder.pack": "builder buildpacks",
    "builder.cache": "type options image",
    registry: "server username password",
    role: "hosts cmd stop_timeout@2.12 options* logging>logging proxy>proxy labels* env>env asset_path",
    accessory:
      "service image registry>registry@2.5 host hosts role@2.6 roles tag@2.6 tags@2.6 cmd port labels* options* env>env files " +
      "directories volumes network@2.3 proxy>proxy@2.4",
    env: "clear* secret tags*",
    ssh: "user port proxy proxy_command log_level keys_only keys key_data config@2.1 forward_agent@2.12",
    sshkit: "max_concurrent_starts pool_idle_timeout dns_retries@2.9",
    boot: "limit wait parallel_roles@2.10",
    logging: "driver options*",
    output: "otel* file*",
  },
  1: {
    root:
      "service image labels* volumes registry>registry servers env>env asset_path hooks_path require_destination primary_role " +
      "allow_empty_roles stop_wait_time retain_containers minimum_version readiness_delay run_directory ssh>ssh builder>builder " +
      "accessories traefik>traefik sshkit>sshkit boot>boot healthcheck>healthcheck logging>logging",
    healthcheck: "cmd interval max_attempts port path cord log_lines",
    traefik: "image host_port publish labels* args* options* env*",
    builder: "multiarch local>builder.local remote>builder.remote cache>builder.cache context dockerfile target args* secrets ssh",
    "builder.local": "arch host",
    "builder.remote": "arch host",
    "builder.cache": "type options image",
    registry: "server username password",
    role: "hosts traefik cmd options* healthcheck>healthcheck logging>logging labels* env>env asset_path",
    accessory: "service image host hosts roles cmd port labels* options* env>env files directories volumes",
    env: "clear* secret tags*",
    ssh: "user port proxy proxy_command log_level keys_only@1.8 keys@1.8 key_data@1.8",
    sshkit: "max_concurrent_starts pool_idle_timeout",
    boot: "limit wait",
    logging: "driver options*",
  },
};

export interface KeyFact {
  name: string;
  since: string | null;
  /** The section a map value is checked against. */
  section: string | null;
  /** A map whose keys are free-form. */
  free: boolean;
}

const parsed = new Map<string, Map<string, KeyFact>>();

export function sectionKeys(major: Major, section: string): Map<string, KeyFact> | undefined {
  const id = `${major}:${section}`;
  const cached = parsed.get(id);
  if (cached) return cached;
  const spec = SECTIONS[major][section];
  if (spec === undefined) return undefined;
  const keys = new Map<string, KeyFact>();
  for (const token of spec.split(/\s+/)) {
    const match = /^([a-z_-]+)(\*)?(?:>([a-z_.]+))?(?:@(\d+\.\d+))?$/.exec(token);
    if (!match?.[1]) throw new Error(`bad key token ${token}`);
    keys.set(match[1], { name: match[1], free: match[2] === "*", section: match[3] ?? null, since: match[4] ?? null });
  }
  parsed.set(id, keys);
  return keys;
}

/** Validation of keys began in Kamal 1.7: before it, unknown keys were silently ignored. */
export const VALIDATION_SINCE = "1.7";

/** The newest minor this data knows per major; "any 2.x" is checked against this. */
export const LATEST: Record<Major, string> = { 1: "1.9", 2: "2.12" };

/** Defaults Kamal applies when a key is unset (lib/kamal/configuration*.rb). */
export const DEFAULTS = {
  2: { "proxy.app_port": 80, "proxy.healthcheck.path": "/up", "proxy.healthcheck.interval": 1, "proxy.healthcheck.timeout": 5, deploy_timeout: 30, readiness_delay: 7, drain_timeout: 30 },
  1: { "healthcheck.port": 3000, "healthcheck.path": "/up", "healthcheck.max_attempts": 7, readiness_delay: 7 },
} as const;

/** Kamal 1 keys, what to write in Kamal 2 instead, and a note (kamal-deploy.org "Upgrading to Kamal 2"). */
export const KAMAL1_TO_2: Record<string, { to: string; note: string }> = {
  traefik: { to: "`proxy:`", note: "kamal-proxy replaces Traefik, with its own options" },
  healthcheck: { to: "`proxy: { healthcheck: … }`", note: "`path` and `interval` move under `proxy.healthcheck`, and `port` becomes `proxy.app_port`" },
  stop_wait_time: { to: "`drain_timeout:`", note: "the time given to a container to stop" },
  "builder.multiarch": { to: "`arch:`", note: "`builder.arch` names the platforms (`arch: amd64`)" },
  "builder.local": { to: "`local: true`", note: "`builder.local` is a boolean, the platform is `builder.arch`" },
  "builder.remote": { to: "`remote: ssh://…`", note: "`builder.remote` is the builder's URL, the platform is `builder.arch`" },
  "servers.*.traefik": { to: "`proxy: true`", note: "a role runs behind kamal-proxy with `proxy: true`" },
  "servers.*.healthcheck": { to: "`proxy: { healthcheck: … }`", note: "health checks belong to the role's proxy settings" },
};

/** Kamal 2 keys that Kamal 1 does not know, for a config written for 2 but run by 1. */
export const KAMAL2_ONLY = ["proxy", "deploy_timeout", "drain_timeout", "aliases", "builder.arch"];

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const pb = b.split(".").map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function majorOf(version: string): Major | null {
  const major = Number.parseInt(version, 10);
  return major === 1 || major === 2 ? major : null;
}
