/**
 * `load` run at most once while it succeeds, its result shared by every caller: the way a feature's
 * module is imported at its first use. A failed load (a module that did not import) is tried
 * again by the next call rather than remembered.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
}
