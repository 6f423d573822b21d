// What the source readers (files, stdin, gzip, zip) throw for input they cannot read: the CLI
// turns it into one line and exit 2. Free of dependencies, so every reader and every caller can
// import it without loading the others.

export class InputError extends Error {}
