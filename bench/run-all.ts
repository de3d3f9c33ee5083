/** Runs every benchmark in turn (each also runs on its own: npm run bench:<name>). */
const benchmarks = ['call-overhead', 'cold-start', 'instrument', 'profiler', 'flamegraph', 'pool', 'guest-heap'];
for (const name of benchmarks) {
  await import(`./${name}.js`);
}
