// Loaded into a measured `node` process with `--require` (directly or through NODE_OPTIONS): when
// the process exits, it writes its peak RSS, CPU time and lifetime to $BENCH_PROBE_DIR/<pid>.json.
// A parent cannot read a child's peak RSS portably, but the child can: process.resourceUsage().
// The probe loads nothing but node:fs, so it adds about a millisecond, to every measured program alike.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  process.on("exit", (code) => {
    const usage = process.resourceUsage();
    const record = {
      pid: process.pid,
      code,
      maxRssKb: usage.maxRSS,
      userCpuMs: usage.userCPUTime / 1000,
      systemCpuMs: usage.systemCPUTime / 1000,
      // timeOrigin is set early in node's bootstrap: lifetime misses only the exec of the binary.
      startedAt: performance.timeOrigin,
      endedAt: performance.timeOrigin + performance.now(),
    };
    try {
      fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(record));
    } catch {
      // A missing probe directory must not change the measured program's exit.
    }
  });
}
