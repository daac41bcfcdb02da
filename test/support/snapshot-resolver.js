/**
 * Snapshots per database: the e2e suites run once on SQLite and once on MySQL/MariaDB
 * (E2E_DATABASE_URL), and what they snapshot (the SQL the repositories send) differs between the
 * two. Each database gets its own file, so neither run sees the other's snapshots as obsolete.
 */
const path = require('node:path');

const kind = () => (process.env.E2E_DATABASE_URL ? 'mysql' : 'sqlite');

module.exports = {
  resolveSnapshotPath: (testPath, extension) =>
    path.join(path.dirname(testPath), '__snapshots__', `${path.basename(testPath)}.${kind()}${extension}`),
  resolveTestPath: (snapshotPath, extension) =>
    path.join(
      path.dirname(path.dirname(snapshotPath)),
      path.basename(snapshotPath, extension).replace(/\.(mysql|sqlite)$/, ''),
    ),
  testPathForConsistencyCheck: 'test/example.e2e-spec.ts',
};
