// What a kamal command line says about the deploy it ran: the config file (`-c`) and the
// destination (`-d`). The config reader uses it to find the config, the core to keep one
// destination's failures apart from another's.

/** `-c FILE` / `-d DEST` from a kamal command line (`kamal deploy -c x.yml -d staging`). */
export function configArgs(commandLine: string): { file: string | null; destination: string | null } {
  const words = commandLine.trim().split(/\s+/);
  let file: string | null = null;
  let destination: string | null = null;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    const next = words[i + 1];
    const inline = /^--(config-file|config|destination)=(.+)$/.exec(word);
    if (inline?.[2]) {
      if (inline[1] === "destination") destination = unquote(inline[2]);
      else file = unquote(inline[2]);
    } else if ((word === "-c" || word === "--config-file" || word === "--config") && next) {
      file = unquote(next);
      i++;
    } else if ((word === "-d" || word === "--destination") && next) {
      destination = unquote(next);
      i++;
    } else if (/^-c\S/.test(word)) file = unquote(word.slice(2));
    else if (/^-d\S/.test(word)) destination = unquote(word.slice(2));
  }
  return { file, destination };
}

function unquote(value: string): string {
  return value.replace(/^(['"])(.*)\1$/, "$2");
}
