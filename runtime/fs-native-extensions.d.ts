// fs-native-extensions ships no typings; these cover the whole-file locks the file leases use.
declare module 'fs-native-extensions' {
  const extensions: {
    /** An exclusive lock on the open file; false at once when another descriptor holds one. */
    tryLock(fd: number): boolean;
    unlock(fd: number): void;
  };
  export default extensions;
}
