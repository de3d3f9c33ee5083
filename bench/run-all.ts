/**
 * Runs every benchmark in turn (each also runs on its own: npm run bench:<name>). On a terminal,
 * stderr gets one progress line per benchmark with an ETA from the ones done so far; the tables
 * go to stdout, so a bar redrawn in place would tear them.
 */
const benchmarks = ['call-overhead', 'cold-start', 'instrument', 'profiler', 'flamegraph', 'pool', 'compare', 'guest-heap', 'tuner', 'macro'];
const showProgress = process.stderr.isTTY === true && !process.argv.includes('--quiet');
const started = performance.now();
for (const [i, name] of benchmarks.entries()) {
  if (showProgress) {
    const elapsedS = (performance.now() - started) / 1000;
    const eta = i === 0 ? '' : ` · ETA ${Math.round((elapsedS / i) * (benchmarks.length - i))} s`;
    process.stderr.write(`bench ${i + 1}/${benchmarks.length}: ${name}${eta}\n`);
  }
  await import(`./${name}.js`);
}
