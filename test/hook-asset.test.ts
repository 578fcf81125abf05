import * as fs from "node:fs";
import * as path from "node:path";
import { Testing } from "cdktf";
import { hookSourceDir } from "../lib/hook-asset";
import { BOUND_ENTRY_FILE, boundScript, HOOK_ENTRY_FILE } from "../lib/hook/constants";
import { stackWithConnection } from "./helpers/stacks";

const HOOK_SOURCES = path.join(__dirname, "..", "lib", "hook");

/** Every module specifier a TypeScript file imports or requires. */
function importsOf(file: string): string[] {
  const source = fs.readFileSync(file, "utf8");
  const found: string[] = [];
  const patterns = [/\bfrom\s+["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /\brequire\s*\(\s*["']([^"']+)["']\s*\)/g, /^\s*import\s+["']([^"']+)["']/gm];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

describe("hook asset", () => {
  test("the hook imports only node built-ins and its siblings", () => {
    const files = fs.readdirSync(HOOK_SOURCES).filter((f) => f.endsWith(".ts"));
    expect(files).toContain("main.ts");
    const offending: string[] = [];
    for (const file of files) {
      for (const specifier of importsOf(path.join(HOOK_SOURCES, file))) {
        const sibling = /^\.\/[a-z0-9-]+$/.test(specifier) && fs.existsSync(path.join(HOOK_SOURCES, `${specifier}.ts`));
        if (!specifier.startsWith("node:") && !sibling) offending.push(`${file}: ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });

  test("the import check catches a package import", () => {
    const tmp = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "hwc-imports-"));
    const file = path.join(tmp, "x.ts");
    fs.writeFileSync(file, 'import { App } from "cdktf";\nconst http = require("http");\nimport "./y";\n');
    expect(importsOf(file)).toEqual(["cdktf", "http", "./y"]);
  });

  test("the compiled hook requires only node built-ins and its siblings", () => {
    const dir = path.join(__dirname, "..", "dist", "lib", "hook");
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".js"))) {
      const requires = [...fs.readFileSync(path.join(dir, file), "utf8").matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
      for (const r of requires) expect(r.startsWith("node:") || fs.existsSync(path.join(dir, `${r}.js`))).toBe(true);
    }
  });

  test("the asset is one bundled file holding every compiled module, requiring only node built-ins, and the shell script of the bindings' own instances", () => {
    const dir = hookSourceDir();
    expect(fs.readdirSync(dir).sort()).toEqual([BOUND_ENTRY_FILE, HOOK_ENTRY_FILE].sort());
    expect(fs.readFileSync(path.join(dir, BOUND_ENTRY_FILE), "utf8")).toBe(boundScript());
    const bundle = fs.readFileSync(path.join(dir, HOOK_ENTRY_FILE), "utf8");
    const compiled = fs.readdirSync(path.join(__dirname, "..", "dist", "lib", "hook")).filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -3));
    const bundled = [...bundle.matchAll(/^__modules\["([^"]+)"\] = function/gm)].map((m) => m[1]);
    expect(bundled.sort()).toEqual(compiled.sort());
    const requires = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(requires.filter((r) => !r.startsWith("node:") && !bundled.includes(r.replace(/^\.\//, "")))).toEqual([]);
    expect(bundle.trimEnd().endsWith('__require("./main");')).toBe(true);
  });

  test("ships the hook into the stack directory under a relative path", () => {
    const { stack } = stackWithConnection();
    const outdir = Testing.fullSynth(stack);
    const json = fs.readFileSync(path.join(outdir, "stacks", "test", "cdk.tf.json"), "utf8");
    const command = /"command": "HWC_BINDINGS_EXTRA_CA_CERTS=\\"\$NODE_EXTRA_CA_CERTS\\" NODE_EXTRA_CA_CERTS= node \.\/(assets\/[^"]+)"/.exec(json);
    expect(command).not.toBeNull();
    expect(fs.existsSync(path.join(outdir, "stacks", "test", command![1]))).toBe(true);
    expect(command![1].endsWith(HOOK_ENTRY_FILE)).toBe(true);
    const bound = /"command": "sh \.\/(assets\/[^"]+)"/.exec(json);
    expect(bound![1].endsWith(BOUND_ENTRY_FILE)).toBe(true);
    expect(fs.statSync(path.join(outdir, "stacks", "test", bound![1])).isFile()).toBe(true);
    expect(json).not.toContain(path.resolve(__dirname, ".."));
  });
});
