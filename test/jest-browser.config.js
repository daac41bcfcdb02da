/**
 * Browser tests: Swagger UI driven in real headless Chromium (Debian's /usr/bin/chromium) by
 * playwright-core. Not part of `npm test`; run with `npm run test:browser`.
 */
module.exports = {
  rootDir: '..',
  roots: ['<rootDir>/test/browser'],
  testRegex: '\\.browser-spec\\.ts$',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  testTimeout: 120000,
};
