// What each Kamal major version accepts in deploy.yml, kept as this project's own data: key names
// per section, the minor version a key appeared in (Kamal validates against its docs examples
// since 1.7, so a key newer than the installed Kamal is an "unknown key" error), and defaults.
// Facts taken from Kamal's configuration docs and code (lib/kamal/configuration) at each tag.
//
// Section spec syntax, one token per key (name, then any of *, >, :, @ in this order):
//   name            a value this data gives no type (not checked)
//   name*           a map with free-form keys (labels, options, args, …)
//   name>section    a map checked against another section spec
//   name:type       the type Kamal's validator requires (see ValueType)
//   name@2.6        appeared in 2.6.0
// Types are what the validator (lib/kamal/configuration/validator*.rb, since 1.7) demands of the
// value: the class of the docs example, with its special cases (hosts, arch, registry
// credentials, proxy and ssl that may be booleans). Where a minor version accepted less, the
// type given is the most permissive one, so a rejection holds for every minor of the major.

export type Major = 1 | 2;

/**
 * int       an Integer (not "30", not 30.0)
 * bool      true or false
 * str       a string; a number or a boolean passes too (the validator's "stringish")
 * strs      a list of str
 * str|strs  either (builder.arch)
 * hosts     a list of hosts, each a string or `host: tag(s)`
 * secret    a string, or a list of exactly one string (a secret's name)
 * map, list|map, bool|map   a map; a list or a map (servers, roles); a boolean or a map (proxy, ssl)
 */
export type ValueType = "int" | "bool" | "str" | "strs" | "str|strs" | "hosts" | "secret" | "map" | "list|map" | "bool|map";

const SECTIONS: Record<Major, Record<string, string>> = {
  2: {
    root:
      "service:str image:str labels* volumes:strs registry>registry servers:list|map env>env asset_path:str hooks_path:str hooks_output@2.11 " +
      "secrets_path:str@2.9 error_pages_path:str@2.6 require_destination:bool primary_role:str allow_empty_roles:bool retain_containers:int " +
      "minimum_version:str readiness_delay:int deploy_timeout:int drain_timeout:int stop_timeout:int@2.12 run_directory:str ssh>ssh " +
      "builder>builder accessories:map proxy>proxy:bool|map sshkit>sshkit boot>boot logging>logging output>output@2.12 aliases*",
    proxy:
      "host:str hosts:hosts@2.1 app_port:int ssl>proxy.ssl:bool|map ssl_redirect:bool@2.6 forward_headers:bool response_timeout:int " +
      "path_prefix:str@2.7 path_prefixes:strs@2.8 strip_path_prefix:bool@2.7 healthcheck>proxy.healthcheck buffering>proxy.buffering " +
      "logging>proxy.logging run>proxy.run@2.10",
    "proxy.healthcheck": "interval:int path:str timeout:int",
    "proxy.buffering": "requests:bool responses:bool max_request_body:int max_response_body:int memory:int",
    "proxy.logging": "request_headers:strs response_headers:strs",
    "proxy.run": "http_port:int https_port:int metrics_port:int debug:bool log_max_size:str publish:bool bind_ips:strs registry:str repository:str version:str options*",
    "proxy.ssl": "certificate_pem:str@2.8 private_key_pem:str@2.8",
    builder:
      "arch:str|strs remote:str local:bool pack>builder.pack@2.7 cache>builder.cache context dockerfile:str target:str args* secrets:strs " +
      "ssh:str driver:str provenance:str@2.3 sbom:bool@2.4",
    "builder.pack": "builder:str buildpacks:strs",
    "builder.cache": "type:str options:str image:str",
    registry: "server:str username:secret password:secret",
    role: "hosts:hosts cmd:str stop_timeout:int@2.12 options* logging>logging proxy>proxy:bool|map labels* env>env asset_path:str",
    accessory:
      "service:str image:str registry>registry@2.5 host:str hosts:hosts role:str@2.6 roles:strs tag:str@2.6 tags:strs@2.6 cmd:str port:str " +
      "labels* options* env>env files directories volumes:strs network:str@2.3 proxy>proxy@2.4",
    env: "clear* secret:strs tags*",
    ssh: "user:str port:str proxy:str proxy_command:str log_level:str keys_only:bool keys:strs key_data:strs config@2.1 forward_agent:bool@2.12",
    sshkit: "max_concurrent_starts:int pool_idle_timeout:int dns_retries:int@2.9",
    boot: "limit:str wait:int parallel_roles:bool@2.10",
    logging: "driver:str options*",
    output: "otel* file*",
  },
  1: {
    root:
      "service:str image:str labels* volumes:strs registry>registry servers:list|map env>env asset_path:str hooks_path:str require_destination:bool " +
      "primary_role:str allow_empty_roles:bool stop_wait_time:int retain_containers:int minimum_version:str readiness_delay:int run_directory:str " +
      "ssh>ssh builder>builder accessories:map traefik>traefik sshkit>sshkit boot>boot healthcheck>healthcheck logging>logging",
    healthcheck: "cmd:str interval:str max_attempts:int port:str path:str cord:str log_lines:int",
    traefik: "image:str host_port:str publish:bool labels* args* options* env*",
    builder: "multiarch:bool local>builder.local remote>builder.remote cache>builder.cache context dockerfile:str target:str args* secrets:strs ssh:str",
    "builder.local": "arch:str host:str",
    "builder.remote": "arch:str host:str",
    "builder.cache": "type:str options:str image:str",
    registry: "server:str username:secret password:secret",
    role: "hosts:hosts traefik:bool cmd:str options* healthcheck>healthcheck logging>logging labels* env>env asset_path:str",
    accessory: "service:str image:str host:str hosts:hosts roles:strs cmd:str port:str labels* options* env>env files:strs directories:strs volumes:strs",
    env: "clear* secret:strs tags*",
    ssh: "user:str port:str proxy:str proxy_command:str log_level:str keys_only:bool@1.8 keys:strs@1.8 key_data:strs@1.8",
    sshkit: "max_concurrent_starts:int pool_idle_timeout:int",
    boot: "limit:str wait:int",
    logging: "driver:str options*",
  },
};

export interface KeyFact {
  name: string;
  since: string | null;
  /** The section a map value is checked against. */
  section: string | null;
  /** A map whose keys are free-form. */
  free: boolean;
  /** What the value must be; a section or free-form map must be a map. Null: not checked. */
  type: ValueType | null;
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
    const match = /^([a-z_-]+)(\*)?(?:>([a-z_.]+))?(?::([a-z|]+))?(?:@(\d+\.\d+))?$/.exec(token);
    if (!match?.[1]) throw new Error(`bad key token ${token}`);
    const free = match[2] === "*";
    const section = match[3] ?? null;
    const type = (match[4] as ValueType | undefined) ?? (free || section ? "map" : null);
    keys.set(match[1], { name: match[1], free, section, type, since: match[5] ?? null });
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
