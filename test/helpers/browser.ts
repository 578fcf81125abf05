// Headless Chromium for the console's browser tests: Debian's `chromium` package (which .ci/run
// installs when it is missing), driven by playwright-core, which downloads no browser of its own.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** The Chromium binary: CHROMIUM_PATH, else `chromium` on the PATH, else /usr/bin/chromium. */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which does not exist.`);
    return fromEnv;
  }
  try {
    const found = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
    if (found !== "") return found;
  } catch {
    // not on the PATH
  }
  if (fs.existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  throw new Error(
    "The console's browser tests need headless Chromium, and none was found: install Debian's package " +
      "(apt-get install -y chromium; .ci/run does this when it is missing) or point CHROMIUM_PATH at a Chromium binary.",
  );
}

export interface Browser {
  readonly context: BrowserContext;
  /** Script errors and console errors of every page opened with newPage, to expect none. */
  readonly errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Starts Chromium with a fresh profile in the temp directory, no network of its own (no update,
 * sync or background requests, no QUIC) and a 1400 x 1000 viewport.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "hwc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  const errors: string[] = [];
  return {
    context,
    errors,
    newPage: async () => {
      const page = await context.newPage();
      page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`console error: ${message.text()}`);
      });
      return page;
    },
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
