// Preloaded into startup-bench children (`node --import ./bench/listen-probe.mjs ...`): reports,
// on stderr, performance.now() (ms since this process started) when the first server listens.
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const listen = net.Server.prototype.listen;
let reported = false;
net.Server.prototype.listen = function (...args) {
  this.once('listening', () => {
    if (reported) return;
    reported = true;
    process.stderr.write(`\n__bench_listening__ ${performance.now().toFixed(2)}\n`);
  });
  return listen.apply(this, args);
};
