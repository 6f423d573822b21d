// Long-lived strings must not pin the read buffers they were cut from: V8 keeps a slice of a
// string as a view into its parent, so one 60-character evidence line could hold a whole 64 KiB
// chunk in memory. `detach` makes an independent copy; use it for anything kept past its line.

export function detach(text: string): string {
  // Concatenation then slicing flattens into a new string that does not reference `text`.
  return text.length < 13 ? text : (" " + text).slice(1);
}
