// Each test file runs with TMPDIR set to a directory of its own, removed when the file ends (after
// its last afterAll, so after it has stopped its emulators and awaited its terraform runs), passed
// or failed. Whatever the file creates in the temp dir goes with it: its workspaces and CLI config
// files, cdktf's Testing outdirs, what terraform, the hooks and the demo write there.
const fs = require("node:fs");
const path = require("node:path");
const { TestEnvironment } = require("jest-environment-node");

module.exports = class TempDirEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    this.testPath = context.testPath;
  }

  async setup() {
    await super.setup();
    // In the run's directory (test/global-setup.js), which test/global-teardown.js checks.
    this.tmpdir = fs.mkdtempSync(path.join(process.env.HWC_TEST_RUN_DIR, `${path.basename(this.testPath, ".test.ts")}-`));
    this.previousTmpdir = process.env.TMPDIR;
    // os.tmpdir() reads this process's environment; the test's `process.env` is a copy of it, the
    // one the processes it spawns inherit.
    process.env.TMPDIR = this.tmpdir;
    this.global.process.env.TMPDIR = this.tmpdir;
  }

  async teardown() {
    if (this.previousTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = this.previousTmpdir;
    fs.rmSync(this.tmpdir, { recursive: true, force: true });
    await super.teardown();
  }
};
