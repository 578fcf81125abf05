import "cdktf/lib/testing/adapters/jest";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalBackend, Testing } from "cdktf";
import { startEmulator } from "../lib";
import { hookResources } from "./helpers/stacks";
import { emptyCliConfig, TerraformWorkspace } from "./helpers/terraform";
import { DEFAULT_CONFIG_FILE, loadHaPairConfig } from "../examples/config";
import { HaPairStack } from "../examples/ha-pair";
import { OTC_EXAMPLE, OtcHaPairStack } from "../examples/otc";

function synthExample() {
  const app = Testing.app();
  const stack = new HaPairStack(app, "ha-pair", loadHaPairConfig({}));
  return { app, stack };
}

describe("examples", () => {
  test("the HA pair binds one virtual IP to both servers and an elastic IP to its port", () => {
    const { stack } = synthExample();
    const config = JSON.parse(fs.readFileSync(DEFAULT_CONFIG_FILE, "utf8"));
    const resources = hookResources(stack);
    const vips = Object.entries(resources).find(([id]) => id.includes("virtual-ip"))![1] as any;
    const eips = Object.entries(resources).find(([id]) => id.includes("eip"))![1] as any;
    expect(Object.values(vips.for_each).map((v: any) => [v.nicId, v.ipAddress])).toEqual(
      Object.values(config.servers).map((nic) => [nic, config.virtualIp]),
    );
    expect(Object.values(eips.for_each)).toEqual([expect.objectContaining({ publicipId: config.publicipId, portId: config.virtualIpPortId })]);
  });

  test("the Open Telekom Cloud example binds its virtual IP through the port API, on OTC's endpoints", () => {
    const app = Testing.app();
    const stack = new OtcHaPairStack(app, "otc", OTC_EXAMPLE);
    const json = JSON.parse(Testing.synth(stack));
    const options = Object.entries<any>(json.locals).find(([id]) => id.includes("virtual-ip-bindings-options"))![1];
    expect(options).toEqual({ "otc/vip-web-1": { api: "port" }, "otc/vip-web-2": { api: "port" } });
    expect(JSON.stringify(json)).toContain("https://vpc.eu-de.otc.t-systems.com");
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
  });

  test("the example stack is valid Terraform and plans", () => {
    const { stack } = synthExample();
    expect(Testing.fullSynth(stack)).toBeValidTerraform();
    expect(Testing.fullSynth(stack)).toPlanSuccessfully();
  });

  test("a synthesized stack directory copied elsewhere still plans and applies", async () => {
    const seed = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "examples", "demo-seed.json"), "utf8"));
    const emulator = await startEmulator({ seed, bindDelayMs: 0 });
    try {
      const app = Testing.app();
      const stack = new HaPairStack(app, "ha-pair", { ...loadHaPairConfig({}), endpoint: emulator.url });
      // State next to the configuration, so the copy carries everything it needs.
      new LocalBackend(stack, { path: "terraform.tfstate" });
      const outdir = Testing.fullSynth(stack);
      const copyRoot = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-copy-"));
      fs.cpSync(path.join(outdir, "stacks", "ha-pair"), path.join(copyRoot, "stacks", "ha-pair"), { recursive: true });
      fs.rmSync(outdir, { recursive: true, force: true });

      const ws = new TerraformWorkspace(copyRoot, "ha-pair", {
        ...process.env,
        TF_CLI_CONFIG_FILE: emptyCliConfig(),
        CHECKPOINT_DISABLE: "1",
        HW_ACCESS_KEY: emulator.accessKey,
        HW_SECRET_KEY: emulator.secretKey,
      });
      await ws.init();
      // Three bindings (two instances each), and the create instance of each kind whose hook binds them.
      expect((await ws.expectOk(["plan", "-input=false"])).stdout).toMatch(/Plan: 8 to add, 0 to change, 0 to destroy/);
      const applied = await ws.expectOk(["apply", "-auto-approve", "-input=false"]);
      expect(applied.stdout).toMatch(/\[hwc-bindings virtual-ip\] create done in \d+\.\ds: 2 bindings: 2 bound\n/);
      expect(applied.stdout).toMatch(/\[hwc-bindings eip\] create done in \d+\.\ds: 1 binding: 1 bound\n/);
      const bound = emulator.state();
      expect(bound.publicips[0].status).toBe("ACTIVE");
      expect(bound.ports.filter((p) => p.allowed_address_pairs.length > 0)).toHaveLength(3);
      await ws.expectOk(["destroy", "-auto-approve", "-input=false"]);
      expect(emulator.state().ports.every((p) => p.allowed_address_pairs.length === 0)).toBe(true);
    } finally {
      await emulator.close();
    }
  });

  test("fails if the example config is missing a field", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hwc-example-")), "config.json");
    fs.writeFileSync(file, JSON.stringify({ subnetId: "x" }));
    expect(() => loadHaPairConfig({ HWC_EXAMPLE_CONFIG: file })).toThrow(/virtualIp must be a string, got undefined/);
  });
});
