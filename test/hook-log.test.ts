import { Logger, logPrefix, redact } from "../lib/hook/log";
import { DEFAULT_TIMING } from "../lib/hook/timing";

describe("redact", () => {
  test("blanks known secrets wherever they appear", () => {
    expect(redact("key=abcd1234 and abcd1234", ["abcd1234"])).toBe("key=*** and ***");
  });

  test("blanks header- and body-shaped secrets it was not told about", () => {
    const text =
      'Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=0a1b2c X-Auth-Token: tok123 {"security_token":"st-1","password":"pw"}';
    const out = redact(text, []);
    expect(out).not.toMatch(/0a1b2c|tok123|st-1|"pw"/);
    expect(out).toContain("Signature=***");
  });
});

describe("Logger", () => {
  test("prefixes lines, keeps them on one line and redacts them", () => {
    const all: string[] = [];
    const log = new Logger(logPrefix("eip", "web\neip"), (l) => all.push(l), ["hunter22"], DEFAULT_TIMING, Date.now());
    log.info("bad\nthing hunter22");
    expect(all).toEqual(["[hwc-bindings eip web eip] bad thing ***"]);
  });

  test("leaves out missing prefix parts", () => {
    expect(logPrefix(undefined, "")).toBe("[hwc-bindings]");
    // A create of all bindings of a kind has no key.
    expect(logPrefix("eip", undefined)).toBe("[hwc-bindings eip]");
  });
});
