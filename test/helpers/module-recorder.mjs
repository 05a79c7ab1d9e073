// Preloaded (`node --import tsx --import ./module-recorder.mjs …`): records the file of every
// module the process loads, ES modules through a loader hook and CommonJS through Module._load,
// in globalThis.__loadedModules (a Set of file paths).
import { createRequire, register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

const loaded = new Set();
globalThis.__loadedModules = loaded;
const { port1, port2 } = new MessageChannel();
port1.on('message', (url) => {
  if (url.startsWith('file:')) loaded.add(fileURLToPath(url));
});
port1.unref();
const hook = `let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }`;
register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url, { data: { port: port2 }, transferList: [port2] });

const Module = createRequire(import.meta.url)('node:module');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  try {
    const file = Module._resolveFilename(request, parent, isMain);
    if (file.startsWith('/')) loaded.add(file);
  } catch {
    // Let the real loader report it.
  }
  return load.apply(this, arguments);
};
