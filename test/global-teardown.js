// Removes the run's temporary directory (test/global-setup.js). Each test file's own directory in
// it is already gone when the file ends (test/temp-environment.js): anything else there was left by
// a file whose directory could not be removed, or written after its file ended by a process the
// file left running, and fails the run.
const fs = require("node:fs");

module.exports = async function globalTeardown() {
  const runDir = process.env.HWC_TEST_RUN_DIR;
  // The CLI config file global-setup.js may have written is the run's own.
  const left = fs.readdirSync(runDir).filter((entry) => entry !== "terraformrc");
  fs.rmSync(runDir, { recursive: true, force: true });
  if (left.length > 0) {
    // A test file's directory bears its name.
    throw new Error(`the tests left temporary files behind in ${runDir} (now removed): ${left.sort().join(", ")}`);
  }
};
