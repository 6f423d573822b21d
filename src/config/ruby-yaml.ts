// What Ruby's YAML (Psych, YAML 1.1) makes of a plain, unquoted scalar — the value Kamal sees.
// It differs from YAML 1.2 where it matters for types: `yes`/`on`/`off` are booleans, `1_000`
// and `1:30` are integers, `30.0` is a float (not an integer), `0o17` is a string. A port of
// Psych::ScalarScanner#tokenize for the cases a deploy.yml can hold; dates and times stay strings.

export interface RubyScalar {
  value: string | number | boolean | null;
  /** A Ruby Float (30.0 is one; JavaScript cannot tell it from 30). */
  float: boolean;
}

const FLOAT = /^[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?$/;
const INTEGER = /^(?:[-+]?0b[01_,]+|[-+]?0[0-7_,]+|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[0-9a-fA-F_,]+)$/;
const SEXAGESIMAL_INT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/;
const SEXAGESIMAL_FLOAT = /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}\.[0-9_]*$/;

export function rubyPlainScalar(source: string): RubyScalar {
  const string = { value: source, float: false };
  if (source === "") return { value: null, float: false };
  if (/^[^\d.:-]?[A-Za-z_\s!@#$%^&*(){}<>|/\\~;=]+/.test(source) || source.includes("\n")) {
    if (source.length > 5 || /^[^ytonf~]/i.test(source)) return string;
    if (source === "~" || /^null$/i.test(source)) return { value: null, float: false };
    if (/^(yes|true|on)$/i.test(source)) return { value: true, float: false };
    if (/^(no|false|off)$/i.test(source)) return { value: false, float: false };
    return string;
  }
  if (/^\d{4}-\d{1,2}-\d{1,2}/.test(source)) return string;
  if (/^\+?\.inf$/i.test(source)) return { value: Infinity, float: true };
  if (/^-\.inf$/i.test(source)) return { value: -Infinity, float: true };
  if (/^\.nan$/i.test(source)) return { value: NaN, float: true };
  if (/^:./.test(source)) return string; // a Symbol: Kamal takes it for a string
  if (SEXAGESIMAL_INT.test(source) || SEXAGESIMAL_FLOAT.test(source)) {
    const sign = source.startsWith("-") ? -1 : 1;
    const value = source.replace(/^[-+]/, "").replace(/_/g, "").split(":").reduce((sum, part) => sum * 60 + Number(part), 0);
    return { value: sign * value, float: source.includes(".") };
  }
  if (FLOAT.test(source)) {
    if (/^[-+]?\.$/.test(source)) return string;
    return { value: Number(source.replace(/[,_]/g, "").replace(/\.([Ee]|$)/, "$1")), float: true };
  }
  if (INTEGER.test(source)) {
    const digits = source.replace(/[,_]/g, "");
    const sign = digits.startsWith("-") ? -1 : 1;
    const body = digits.replace(/^[-+]/, "");
    const value = /^0b/i.test(body) ? parseInt(body.slice(2), 2) : /^0x/i.test(body) ? parseInt(body.slice(2), 16) : /^0[0-7]/.test(body) ? parseInt(body.slice(1), 8) : Number(body);
    return { value: sign * value, float: false };
  }
  return string;
}
