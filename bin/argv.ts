/**
 * cac (through mri) turns numeric-looking values into numbers, which corrupts tokens such as
 * "0123". These options are read back verbatim from argv.
 */
export function rawOption(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === `--${name}`) value = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  }
  return value;
}

export function stringOption(argv: readonly string[], name: string, parsed: unknown): string | undefined {
  if (parsed === undefined || parsed === false) return undefined;
  return rawOption(argv, name) ?? String(parsed);
}
