/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  globalSetup: "<rootDir>/test/global-setup.js",
  setupFilesAfterEnv: ["<rootDir>/test/setup-jest.ts"],
  testTimeout: 120000,
  maxWorkers: 2,
};
