// The baseline of the hook-cost benchmark: what our hook does for one EIP, written the ordinary way
// with Huawei Cloud's official Node.js SDK. Run as its own `node` process, like our hook, so that
// loading the SDK is measured as our hook's start-up is.
//
//   node bench/sdk-baseline.js bind|unbind
//
// Same requests as our hook (docs/cloud-api.md §2): bind = read the EIP, PUT port_id, then read it
// every 250 ms (our hook's first poll interval) until it is ACTIVE on the port; unbind = read, PUT
// port_id "", read until DOWN. The SDK has no EIP operations on our registry, so the VPC client's
// own hcClient signs and sends them (docs/cloud-api.md §6). Only the VPC SDK is loaded: an EIP needs
// no ECS client.
//
// Environment: BENCH_ENDPOINT, BENCH_PROJECT_ID, BENCH_PUBLICIP_ID, BENCH_PORT_ID,
// HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK.
"use strict";
const { BasicCredentials } = require("@huaweicloud/huaweicloud-sdk-core");
const { VpcClient } = require("@huaweicloud/huaweicloud-sdk-vpc");

const POLL_MS = 250;
const TIMEOUT_MS = 60_000;

function env(name) {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`sdk-baseline: ${name} is not set\n`);
    process.exit(2);
  }
  return value;
}

async function main() {
  const action = process.argv[2];
  if (action !== "bind" && action !== "unbind") {
    process.stderr.write("usage: node bench/sdk-baseline.js bind|unbind\n");
    return 2;
  }
  const projectId = env("BENCH_PROJECT_ID");
  const publicipId = env("BENCH_PUBLICIP_ID");
  const portId = env("BENCH_PORT_ID");
  const credentials = new BasicCredentials()
    .withAk(env("HUAWEICLOUD_SDK_AK"))
    .withSk(env("HUAWEICLOUD_SDK_SK"))
    .withProjectId(projectId);
  const client = VpcClient.newBuilder().withCredential(credentials).withEndpoint(env("BENCH_ENDPOINT")).build();

  const publicip = async (method, data) => {
    const body = await client.hcClient.sendRequest({
      method,
      url: "/v1/{project_id}/publicips/{publicip_id}",
      pathParams: { project_id: projectId, publicip_id: publicipId },
      data,
      contentType: "application/json",
      queryParams: {},
      headers: {},
    });
    return body.publicip;
  };
  const waitFor = async (done) => {
    const deadline = Date.now() + TIMEOUT_MS;
    for (;;) {
      const eip = await publicip("GET");
      if (done(eip)) return eip;
      if (Date.now() >= deadline) throw new Error(`timed out; last seen ${eip.status}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  const before = await publicip("GET");
  if (action === "bind") {
    if (!(before.port_id === portId && before.status === "ACTIVE")) {
      await publicip("PUT", { publicip: { port_id: portId } });
      await waitFor((e) => e.status === "ACTIVE" && e.port_id === portId);
    }
    process.stderr.write(`sdk-baseline: bound EIP ${publicipId} to port ${portId}\n`);
  } else {
    if (before.port_id === portId) {
      await publicip("PUT", { publicip: { port_id: "" } });
      await waitFor((e) => e.status === "DOWN" && !e.port_id);
    }
    process.stderr.write(`sdk-baseline: unbound EIP ${publicipId} from port ${portId}\n`);
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    const detail = err && err.errorCode ? `${err.httpStatusCode} ${err.errorCode} ${err.errorMsg}` : String(err && err.message ? err.message : err);
    process.stderr.write(`sdk-baseline failed: ${detail}\n`);
    process.exitCode = 1;
  },
);
