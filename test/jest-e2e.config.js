/**
 * End-to-end tests: real HTTP through the real AppModule.
 * E2E_DATABASE_URL picks the database (default: a fresh SQLite file per test file); snapshots are
 * kept per database (support/snapshot-resolver.js).
 */
module.exports = {
  rootDir: '..',
  roots: ['<rootDir>/test'],
  testRegex: '\\.e2e-spec\\.ts$',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  testTimeout: 30000,
  snapshotResolver: '<rootDir>/test/support/snapshot-resolver.js',
};
