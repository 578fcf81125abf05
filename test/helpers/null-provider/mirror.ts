// A Terraform CLI configuration that installs hashicorp/null from a filesystem mirror: the mirror
// named by HWC_BINDINGS_NULL_PROVIDER_MIRROR when set (one that holds the real provider), else a
// mirror made here that holds the protocol double of ./server.ts, with the version that
// @cdktf/provider-null pins, so that `terraform init` installs it as it would the real one.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { LOG_ENV } from "./server";

export const REAL_MIRROR_ENV = "HWC_BINDINGS_NULL_PROVIDER_MIRROR";
export { LOG_ENV };

/** The hashicorp/null version that @cdktf/provider-null synthesizes into required_providers. */
export const NULL_PROVIDER_VERSION: string = (
  JSON.parse(fs.readFileSync(require.resolve("@cdktf/provider-null/package.json"), "utf8")) as { cdktf: { provider: { version: string } } }
).cdktf.provider.version;

export interface NullProviderMirror {
  /** True when the mirror holds the double; false for the real provider's mirror. */
  readonly double: boolean;
  readonly mirrorDir: string;
  /** A Terraform CLI configuration file that installs hashicorp/null from the mirror only. */
  readonly cliConfigFile: string;
}

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** The platform directory Terraform looks for, e.g. linux_amd64. */
function platform(): string {
  const arch = { x64: "amd64", arm64: "arm64", ia32: "386", arm: "arm" }[process.arch as string] ?? process.arch;
  return `${process.platform}_${arch}`;
}

/** Makes the mirror of the double (or takes the real one) and the CLI configuration, in a new directory. */
export function nullProviderMirror(): NullProviderMirror {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-null-provider-"));
  const real = process.env[REAL_MIRROR_ENV]?.trim();
  const mirrorDir = real ? path.resolve(real) : path.join(base, "mirror");
  if (!real) buildDouble(base, mirrorDir);
  return { double: !real, mirrorDir, cliConfigFile: cliConfig(base, mirrorDir) };
}

/** A mirror of the double whatever the environment says, and the provider's executable in it. */
export function doubleMirror(): NullProviderMirror & { executable: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-null-provider-"));
  const mirrorDir = path.join(base, "mirror");
  const executable = buildDouble(base, mirrorDir);
  return { double: true, mirrorDir, cliConfigFile: cliConfig(base, mirrorDir), executable };
}

function cliConfig(base: string, mirrorDir: string): string {
  const cliConfigFile = path.join(base, "terraformrc");
  fs.writeFileSync(
    cliConfigFile,
    `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirrorDir)}\n    include = ["registry.terraform.io/hashicorp/null"]\n  }\n}\n`,
  );
  return cliConfigFile;
}

/** Returns the path of the provider executable. */
function buildDouble(base: string, mirrorDir: string): string {
  // The double's code, compiled from TypeScript as Terraform will run it: plain node, no loader.
  const code = path.join(base, "double");
  fs.mkdirSync(code);
  for (const file of fs.readdirSync(__dirname)) {
    const source = path.join(__dirname, file);
    if (file.endsWith(".proto")) fs.copyFileSync(source, path.join(code, file));
    else if (file.endsWith(".ts") && file !== "mirror.ts") {
      const { outputText } = ts.transpileModule(fs.readFileSync(source, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: file,
      });
      fs.writeFileSync(path.join(code, file.replace(/\.ts$/, ".js")), outputText);
    }
  }
  // The server certificate of AutoMTLS, as go-plugin makes it: self-signed, for "localhost", its
  // own CA, for server and client authentication.
  execFileSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", path.join(code, "server-key.pem"), "-out", path.join(code, "server-cert.pem"), "-days", "2",
      "-subj", "/O=HashiCorp/CN=localhost",
      "-addext", "subjectAltName=DNS:localhost",
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=digitalSignature,keyEncipherment,keyAgreement,keyCertSign",
      "-addext", "extendedKeyUsage=clientAuth,serverAuth",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const packageDir = path.join(mirrorDir, "registry.terraform.io", "hashicorp", "null", NULL_PROVIDER_VERSION, platform());
  fs.mkdirSync(packageDir, { recursive: true });
  const executable = path.join(packageDir, `terraform-provider-null_v${NULL_PROVIDER_VERSION}`);
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(
    executable,
    `#!/bin/sh\nNODE_PATH=${quote(path.join(ROOT, "node_modules"))} exec ${quote(process.execPath)} ${quote(path.join(code, "server.js"))} "$@"\n`,
    { mode: 0o755 },
  );
  return executable;
}
