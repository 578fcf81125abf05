// The app the scale benchmark synthesizes, run as its own `node` process the way `cdktf synth` runs
// an app: load cdktf and this library (compiled, dist/lib), declare one connection and the bindings,
// synthesize. Plain JavaScript so that no TypeScript compiler start-up is measured with it.
//
//   node bench/synth-app.js <stack.json> <outdir>
//
// stack.json: {stackName, region, projectId, endpoint, vips: [{nicId, subnetId, ipAddress}],
// eips: [{publicipId, portId}]}. Prints {loadMs, buildMs, synthMs} as JSON on stdout.
"use strict";
const t0 = performance.now();
const fs = require("node:fs");
const path = require("node:path");
const { App, TerraformStack } = require("cdktf");
const { EipAssociation, HuaweiCloudConnection, VirtualIpBinding } = require(path.join(__dirname, "..", "dist", "lib"));
const t1 = performance.now();

const [configFile, outdir] = process.argv.slice(2);
const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
const app = new App({ outdir });
const stack = new TerraformStack(app, config.stackName);
new HuaweiCloudConnection(stack, "cloud", {
  region: config.region,
  projectId: config.projectId,
  endpoints: { ecs: config.endpoint, vpc: config.endpoint },
  createTimeoutSeconds: 300,
  deleteTimeoutSeconds: 300,
});
config.vips.forEach((vip, i) => new VirtualIpBinding(stack, `vip-${i}`, { ...vip, reverseBinding: true }));
config.eips.forEach((eip, i) => new EipAssociation(stack, `eip-${i}`, eip));
const t2 = performance.now();
app.synth();
const t3 = performance.now();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, buildMs: t2 - t1, synthMs: t3 - t2 }) + "\n");
