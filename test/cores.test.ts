// One library for cdktf and CDK Terrain (cdktn): the resources are built with the core of the
// scope's own stack, and a stack of either core synthesizes to the same configuration.
import * as fs from "node:fs";
import * as path from "node:path";
import { Construct } from "constructs";
import { EipAssociation, HuaweiCloudConnection, VirtualIpBinding } from "../lib";
import { CORES, type CoreName } from "./helpers/terraform";
import { EIP_A, NIC_A, NIC_B, PORT_A, PROJECT_ID, REGION, SUBNET } from "./helpers/stacks";

function build(core: CoreName) {
  const { Testing, TerraformStack, TerraformVariable } = CORES[core] as typeof import("cdktf");
  const app = Testing.app();
  const stack = new TerraformStack(app, "cores");
  // A variable's value makes the settings go through `input` (a reference), the other path.
  const timeout = new TerraformVariable(stack, "delete-timeout", { type: "number", default: 60 });
  const fixed = new HuaweiCloudConnection(stack, "fixed", { region: REGION, projectId: PROJECT_ID });
  const variable = new HuaweiCloudConnection(stack, "variable", {
    region: REGION,
    projectId: PROJECT_ID,
    deleteTimeoutSeconds: timeout.numberValue,
  });
  new VirtualIpBinding(stack, "vip", { connection: fixed, nicId: NIC_A, subnetId: SUBNET, ipAddress: "192.168.0.7" });
  new EipAssociation(stack, "eip", { connection: variable, publicipId: EIP_A, portId: PORT_A });
  // A per-binding option (api) on the connection whose settings go through input: its options
  // local and the merge of settings and options are built with the stack's core too.
  new VirtualIpBinding(stack, "vip-port", { connection: variable, nicId: NIC_B, subnetId: SUBNET, ipAddress: "192.168.0.8", api: "port" });
  return { app, stack, fixed, json: JSON.parse(Testing.synth(stack)) };
}

/**
 * The configuration without the cores' metadata: the "//" keys, which name the core and its
 * version, and the asset's hash in its path (each core hashes an asset folder its own way; the
 * folder holds the same hook).
 */
function withoutMetadata(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (typeof value === "string") return value.replace(/(\/assets\/hwc-bindings-hook\/)[0-9A-F]{32}\//g, "$1<hash>/");
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "//").map(([k, v]) => [k, withoutMetadata(v)]));
}

describe("cdktf and cdktn", () => {
  test("the same stack synthesizes to the same configuration with either core, apart from metadata", () => {
    const viaCdktf = build("cdktf").json;
    const viaCdktn = build("cdktn").json;
    expect(Object.keys(viaCdktn.resource.terraform_data).sort()).toEqual(Object.keys(viaCdktf.resource.terraform_data).sort());
    expect(Object.keys(viaCdktf.resource.terraform_data)).toHaveLength(12);
    expect(withoutMetadata(viaCdktn)).toEqual(withoutMetadata(viaCdktf));
    expect(JSON.stringify(viaCdktn.resource.terraform_data)).toContain('"input":"${merge(');
    expect(Object.keys(viaCdktn.locals).some((k) => k.includes("options"))).toBe(true);
  });

  test.each<CoreName>(["cdktf", "cdktn"])("builds the resources of a %s stack with that core", (core) => {
    const { fixed } = build(core);
    const other = CORES[core === "cdktf" ? "cdktn" : "cdktf"];
    expect(fixed._virtualIpHooks.resource).toBeInstanceOf(CORES[core].DataResource);
    expect(fixed._virtualIpHooks.createResource).toBeInstanceOf(CORES[core].DataResource);
    expect(fixed._virtualIpHooks.resource).not.toBeInstanceOf(other.DataResource);
    const asset = fixed.node.scope!.node.findAll().find((c) => c.node.id === "hwc-bindings-hook");
    expect(asset).toBeInstanceOf(CORES[core].TerraformAsset);
  });

  test("two apps of different cores in one process each synthesize", () => {
    // The core is found per stack, not once per process.
    const a = build("cdktn");
    const b = build("cdktf");
    const c = build("cdktn");
    expect(() => a.app.synth()).not.toThrow();
    expect(() => b.app.synth()).not.toThrow();
    expect(withoutMetadata(c.json)).toEqual(withoutMetadata(b.json));
  });

  test("fails at synth with a clear error when the stack's core cannot be loaded", () => {
    // A stack as a third copy of a core makes it: it carries the stack symbol, and no core that
    // this library can load made it.
    class Root extends Construct {}
    class ForeignStack extends Construct {
      constructor(scope: Construct, id: string) {
        super(scope, id);
        Object.defineProperty(this, Symbol.for("cdktf/TerraformStack"), { value: true });
      }
    }
    const stack = new ForeignStack(new Root(undefined as unknown as Construct, ""), "foreign");
    expect(() => new HuaweiCloudConnection(stack, "cloud", { region: REGION, projectId: PROJECT_ID })).toThrow(
      /^HuaweiCloudConnection at 'foreign\/cloud': the stack 'foreign' was made by a copy of cdktf or cdktn that this library cannot load, got .*cdktf at .*; .*cdktn at .*\. Install cdktf or cdktn once, in the app \(npm ls cdktf cdktn shows every copy\)/,
    );
  });

  test("fails with a clear error outside any stack", () => {
    class Root extends Construct {}
    const root = new Root(undefined as unknown as Construct, "");
    expect(() => new HuaweiCloudConnection(root, "cloud", { region: REGION, projectId: PROJECT_ID })).toThrow(
      "HuaweiCloudConnection at 'cloud': it is not inside a TerraformStack, got a construct tree with none. Create it in a stack",
    );
  });

  test("the shipped declarations import neither cdktf nor cdktn", () => {
    // dist/ is built by `npm test` before Jest runs.
    const dir = path.join(__dirname, "..", "dist", "lib");
    const files = fs.readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".d.ts"));
    expect(files).toContain("index.d.ts");
    const importing = files.filter((f) => /from\s+["'](cdktf|cdktn)["']|import\(["'](cdktf|cdktn)["']\)/.test(fs.readFileSync(path.join(dir, f), "utf8")));
    expect(importing).toEqual([]);
  });
});
