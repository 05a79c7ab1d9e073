/** Whether an on/off environment variable is on: anything but unset, empty, `0`, `false` or `no`. */
export function isEnvFlagSet(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'false', 'no'].includes(value.trim().toLowerCase());
}
