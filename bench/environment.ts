// The machine and the versions a run measured, for the report's header: figures from another
// machine, or another Terraform, are other figures.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./hook-env";

export interface Environment {
  readonly date: string;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly os: string;
    readonly kernel: string;
    /** 1, 5 and 15 minute load averages when the run started: a busy machine shows here. */
    readonly loadAverage: number[];
  };
  readonly versions: Record<string, string>;
}

function packageVersion(name: string): string {
  const file = path.join(ROOT, "node_modules", ...name.split("/"), "package.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

function osName(): string {
  try {
    const release = fs.readFileSync("/etc/os-release", "utf8");
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release);
    if (pretty) return pretty[1];
  } catch {
    // not Linux, or no os-release: fall back to the platform name
  }
  return `${os.type()} ${os.release()}`;
}

function terraformVersion(env: NodeJS.ProcessEnv): string {
  const out = execFileSync("terraform", ["version", "-json"], { env, encoding: "utf8" });
  return (JSON.parse(out) as { terraform_version: string }).terraform_version;
}

export function describeEnvironment(terraformEnv: NodeJS.ProcessEnv): Environment {
  const cpus = os.cpus();
  const own = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
  return {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model.trim() ?? "unknown",
      cores: cpus.length,
      memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      os: osName(),
      kernel: `${os.type()} ${os.release()} ${os.arch()}`,
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    },
    versions: {
      [own.name]: own.version,
      node: process.versions.node,
      terraform: terraformVersion(terraformEnv),
      cdktf: packageVersion("cdktf"),
      constructs: packageVersion("constructs"),
      "@huaweicloud/huaweicloud-sdk-vpc": packageVersion("@huaweicloud/huaweicloud-sdk-vpc"),
      "@huaweicloud/huaweicloud-sdk-core": packageVersion("@huaweicloud/huaweicloud-sdk-core"),
      uuid: packageVersion("uuid"),
    },
  };
}
