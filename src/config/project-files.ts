// The two other files a config check reads: the Kamal that Gemfile.lock pins, and the ports the
// Dockerfile's final stage EXPOSEs.

export interface Exposed {
  port: number;
  line: number;
  text: string;
}

/** `kamal (2.4.0)` in Gemfile.lock's specs. */
export function pinnedKamal(gemfileLock: string): { version: string; line: number } | null {
  const lines = gemfileLock.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const match = /^ {4}kamal \((\d+(?:\.\w+)*)\)\s*$/.exec(lines[i] ?? "");
    if (match?.[1]) return { version: match[1], line: i + 1 };
  }
  return null;
}

/** EXPOSE ports of the last stage (a port written with a build variable is not known). */
export function exposedPorts(dockerfile: string): Exposed[] {
  let ports: Exposed[] = [];
  const lines = dockerfile.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    if (/^\s*FROM\s/i.test(text)) ports = [];
    const match = /^\s*EXPOSE\s+(.+)$/i.exec(text);
    if (!match?.[1]) continue;
    for (const item of match[1].trim().split(/\s+/)) {
      const port = /^(\d+)(?:\/(?:tcp|udp))?$/i.exec(item);
      if (port?.[1]) ports.push({ port: Number(port[1]), line: i + 1, text: text.trim() });
    }
  }
  return ports;
}
