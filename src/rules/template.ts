// The placeholders of a rule's title, explanation and remediation (docs/rules-format.md):
// filled from a finding's captures in a report, and read without a log in `rules list|show`.

/** `{text:name}` and `{text:name|fallback}`: text shown with the capture, or the fallback. */
const AFFIXED = /\{([^{}:|]+):([A-Za-z_]\w*)(?:\|([^{}]*))?\}/g;
/** `{name}` and `{name|fallback}`. */
const PLAIN = /\{([A-Za-z_][\w]*)(?:\|([^{}]*))?\}/g;

/** What a report says for a `{name}` without fallback when the log gave nothing (or nothing but an empty capture). */
export const UNKNOWN = "(unknown)";

/**
 * `{name}` → the capture; `{name|fallback}` → the capture or the fallback text;
 * `{text:name}` → the text and the capture when there is one, else nothing (`Port{ :port}`);
 * `{text:name|fallback}` → the same, else the fallback (`{Port :port|A port} is taken`).
 * An empty capture counts as none; a `{name}` with neither reads `missing(name)`.
 */
export function fill(template: string, vars: Record<string, string>, missing: (name: string) => string = () => UNKNOWN): string {
  return template
    .replace(AFFIXED, (_whole, prefix: string, name: string, fallback: string | undefined) => {
      const value = vars[name];
      return value !== undefined && value !== "" ? `${prefix}${value}` : (fallback ?? "");
    })
    .replace(PLAIN, (_whole, name: string, fallback: string | undefined) => {
      const value = vars[name];
      if (value !== undefined && value !== "") return value;
      return fallback ?? missing(name);
    });
}

/** A template as a reader sees it before any log: fallbacks in place, other captures as ‹name›. */
export function readTemplate(template: string): string {
  return fill(template, {}, (name) => `‹${name}›`).replace(/ {2,}/g, " ").trim();
}
