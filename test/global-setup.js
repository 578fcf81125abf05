const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

module.exports = async function globalSetup() {
  // The run's temporary directory: each test file's own TMPDIR is made in it
  // (test/temp-environment.js), and test/global-teardown.js removes it. Set here, in jest's parent
  // process, so that every worker inherits it.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-test-run-"));
  process.env.HWC_TEST_RUN_DIR = runDir;
  // Terraform reads TF_CLI_CONFIG_FILE; this machine points it at a missing file, whose warning
  // breaks cdktf's version check. Every worker and every terraform it spawns inherits an empty
  // file of our own.
  const current = process.env.TF_CLI_CONFIG_FILE;
  if (!current || !fs.existsSync(current)) {
    const file = path.join(runDir, "terraformrc");
    fs.writeFileSync(file, "");
    process.env.TF_CLI_CONFIG_FILE = file;
  }
  process.env.CHECKPOINT_DISABLE = "1";
  // Bindings read these at synth time; tests set them where they mean to.
  delete process.env.HW_REGION_NAME;
  delete process.env.HW_PROJECT_ID;
};
