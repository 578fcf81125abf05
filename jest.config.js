/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "<rootDir>/test/temp-environment.js",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  globalSetup: "<rootDir>/test/global-setup.js",
  globalTeardown: "<rootDir>/test/global-teardown.js",
  setupFilesAfterEnv: ["<rootDir>/test/setup-jest.ts"],
  testTimeout: 120000,
  maxWorkers: 2,
};
