import "cdktf/lib/testing/adapters/jest";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Testing } from "cdktf";
import { DEFAULT_CONFIG_FILE, loadHaPairConfig } from "../examples/config";
import { HaPairStack } from "../examples/ha-pair";

function synthExample() {
  const app = Testing.app();
  const stack = new HaPairStack(app, "ha-pair", loadHaPairConfig({}));
  return { app, stack };
}

describe("examples", () => {
  test("the HA pair binds one virtual IP to both servers and an elastic IP to its port", () => {
    const { stack } = synthExample();
    const config = JSON.parse(fs.readFileSync(DEFAULT_CONFIG_FILE, "utf8"));
    const resources = JSON.parse(Testing.synth(stack, true)).resource.terraform_data;
    const vips = Object.entries(resources).find(([id]) => id.includes("virtual-ip"))![1] as any;
    const eips = Object.entries(resources).find(([id]) => id.includes("eip"))![1] as any;
    expect(Object.values(vips.for_each).map((v: any) => [v.nicId, v.ipAddress])).toEqual(
      Object.values(config.servers).map((nic) => [nic, config.virtualIp]),
    );
    expect(Object.values(eips.for_each)).toEqual([expect.objectContaining({ publicipId: config.publicipId, portId: config.virtualIpPortId })]);
  });

  test("the example stack is valid Terraform and plans", () => {
    const { stack } = synthExample();
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
    expect(Testing.fullSynth(stack)).toPlanSuccessfully();
  });

  test("a synthesized stack directory copied elsewhere still plans", () => {
    const { stack } = synthExample();
    const outdir = Testing.fullSynth(stack);
    const copy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hwc-copy-")), "moved");
    fs.cpSync(path.join(outdir, "stacks", "ha-pair"), copy, { recursive: true });
    fs.rmSync(outdir, { recursive: true, force: true });
    execFileSync("terraform", ["init", "-input=false", "-no-color"], { cwd: copy, stdio: "pipe" });
    const plan = execFileSync("terraform", ["plan", "-input=false", "-no-color"], { cwd: copy, encoding: "utf8" });
    expect(plan).toMatch(/Plan: 3 to add, 0 to change, 0 to destroy/);
  });

  test("fails if the example config is missing a field", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hwc-example-")), "config.json");
    fs.writeFileSync(file, JSON.stringify({ subnetId: "x" }));
    expect(() => loadHaPairConfig({ HWC_EXAMPLE_CONFIG: file })).toThrow(/virtualIp must be a string, got undefined/);
  });
});
