'use strict';
// Preloaded into each benchmarked child (`node --require <this file> ...`): when the process exits,
// writes its peak resident set size in KB (process.resourceUsage().maxRSS, which covers every
// thread of the process) to the file named by BENCH_PEAK_RSS_FILE, and its CPU time in seconds
// (user + system) to the same name plus ".cpu". Child processes that the measured program starts
// itself are not counted.
const fs = require('node:fs');

const target = process.env.BENCH_PEAK_RSS_FILE;
if (target) {
  // Keep the variable from leaking into processes this one starts.
  delete process.env.BENCH_PEAK_RSS_FILE;
  process.on('exit', () => {
    try {
      const usage = process.resourceUsage();
      fs.writeFileSync(target, String(usage.maxRSS));
      fs.writeFileSync(`${target}.cpu`, String((usage.userCPUTime + usage.systemCPUTime) / 1e6));
    } catch {
      // Measurement only: never change how the measured program exits.
    }
  });
}
