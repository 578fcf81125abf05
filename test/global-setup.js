// Terraform reads TF_CLI_CONFIG_FILE; this machine points it at a missing file, whose warning breaks
// cdktf's version check. Set here, in jest's parent process, so that every worker and every
// terraform it spawns inherits an empty file of our own.
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

module.exports = async function globalSetup() {
  const current = process.env.TF_CLI_CONFIG_FILE;
  if (!current || !fs.existsSync(current)) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hwc-tfrc-")), "terraformrc");
    fs.writeFileSync(file, "");
    process.env.TF_CLI_CONFIG_FILE = file;
  }
  process.env.CHECKPOINT_DISABLE = "1";
  // Bindings read these at synth time; tests set them where they mean to.
  delete process.env.HW_REGION_NAME;
  delete process.env.HW_PROJECT_ID;
};
