import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

function runDemo(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", path.join(__dirname, "..", "examples", "demo.ts")], {
      cwd: path.join(__dirname, ".."),
      env: { ...process.env, HW_ACCESS_KEY: "", HW_SECRET_KEY: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

describe("npm run demo", () => {
  test("deploys, changes, removes and destroys the example against its own emulator", async () => {
    const { code, output } = await runDemo();
    expect(output).toContain("step 4/4");
    expect(code).toBe(0);
    const tables = output.split(/\nstep \d\/4, /);
    expect(tables[1]).toMatch(/elastic IP\s+119\.3\.10\.20\s+web-vip\s+ACTIVE/);
    expect(tables[2]).toMatch(/elastic IP\s+119\.3\.10\.20\s+web-1-eth0\s+ACTIVE/);
    expect(tables[3]).toMatch(/virtual IP\s+-\s+web-2-eth0 \(192\.168\.0\.12\)\s+unbound/);
    expect(tables[3]).toMatch(/virtual IP\s+192\.168\.0\.100\s+web-1-eth0/);
    const finalTable = tables[4].split("Destroy complete!")[1].split("done:")[0];
    expect(finalTable).toMatch(/elastic IP\s+119\.3\.10\.20\s+-\s+DOWN/);
    expect(finalTable).not.toMatch(/ (bound|ACTIVE)$/m);
    expect(output).toContain("done: the emulator is stopped; nothing is left bound.");
    expect(output).not.toContain("emulator-secret-key");
    // Under jest its temporary folder (the stack directory's grandparent) would go with this file's
    // TMPDIR anyway: `npm run demo` must remove it itself.
    const stackDir = /; stack directory (\S+)\n/.exec(output)![1];
    expect(fs.existsSync(path.dirname(path.dirname(stackDir)))).toBe(false);
  });
});
