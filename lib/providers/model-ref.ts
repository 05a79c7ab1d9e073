/**
 * `provider/model` split the way upstream reports models (`model` without its provider, and
 * `modelProvider`); a ref without a provider keeps it null.
 */
export function splitModelRef(ref: string | null | undefined): { model: string | null; modelProvider: string | null } {
  if (!ref) return { model: null, modelProvider: null };
  const slash = ref.indexOf('/');
  return slash > 0 ? { model: ref.slice(slash + 1), modelProvider: ref.slice(0, slash) } : { model: ref, modelProvider: null };
}
