'use strict';
/**
 * Fast seeding for the benchmark: merchants and keys through the service's own CLI (so the
 * schema comes from its migrations and the secrets are hashed as the service hashes them), then
 * customers with multi-row INSERTs straight into the `customers` table, not through the HTTP API.
 */
const { execFile } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { join } = require('node:path');
const { promisify } = require('node:util');
const { BUILD_DIR, ROOT } = require('./util');

const execFileAsync = promisify(execFile);

const FIRST = [
  'James',
  'Mary',
  'John',
  'Patricia',
  'Robert',
  'Jennifer',
  'Michael',
  'Linda',
  'William',
  'Elizabeth',
  'David',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Charles',
  'Karen',
  'Daniel',
  'Nancy',
  'Matthew',
  'Lisa',
  'Anthony',
  'Betty',
  'Mark',
  'Margaret',
  'Donald',
  'Sandra',
  'Steven',
  'Ashley',
  'Paul',
  'Kimberly',
  'Andrew',
  'Emily',
  'Joshua',
  'Donna',
  'Kenneth',
  'Michelle',
];
/** 100 surnames; "Smith" is 1 in 100, which the list scenarios filter on. */
const LAST = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Green',
  'Adams',
  'Nelson',
  'Baker',
  'Hall',
  'Rivera',
  'Campbell',
  'Mitchell',
  'Carter',
  'Roberts',
  'Gomez',
  'Phillips',
  'Evans',
  'Turner',
  'Diaz',
  'Parker',
  'Cruz',
  'Edwards',
  'Collins',
  'Reyes',
  'Stewart',
  'Morris',
  'Morales',
  'Murphy',
  'Cook',
  'Rogers',
  'Gutierrez',
  'Ortiz',
  'Morgan',
  'Cooper',
  'Peterson',
  'Bailey',
  'Reed',
  'Kelly',
  'Howard',
  'Ramos',
  'Kim',
  'Cox',
  'Ward',
  'Richardson',
  'Watson',
  'Brooks',
  'Chavez',
  'Wood',
  'James',
  'Bennett',
  'Gray',
  'Mendoza',
  'Ruiz',
  'Hughes',
  'Price',
  'Alvarez',
  'Castillo',
  'Sanders',
  'Patel',
  'Myers',
  'Long',
  'Ross',
  'Foster',
  'Jimenez',
];
const CITIES = ['Orlando', 'Austin', 'Denver', 'Seattle', 'Boston', 'Chicago', 'Phoenix', 'Atlanta'];
const STATES = ['FL', 'TX', 'CO', 'WA', 'MA', 'IL', 'AZ', 'GA'];
const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Tyrell'];
/** Share of emails at gmail.com (the rest at example.com): the common keyword of the keyword scenarios. */
const GMAIL_SHARE = 0.3;
/** Share of customers of the rare company (1 in 10,000): the rare keyword of the keyword scenarios. */
const RARE_COMPANY = 'Zephyrine Labs';
const RARE_COMPANY_SHARE = 0.0001;

/** The columns we write, in this order; every other column keeps its migration default. */
const COLUMNS = [
  'id',
  'merchant_id',
  'firstname',
  'lastname',
  'company',
  'email',
  'email_key',
  'phone',
  'address_1',
  'address_city',
  'address_state',
  'address_zip',
  'address_country',
  'notes',
  'reference',
  'allow_invoice_credit_card_payments',
  'customer_type',
  'status',
  'last_spent',
  'version',
  'created_at',
  'updated_at',
  'deleted_at',
];

/** Share of seeded customers that are soft-deleted (never used as PUT/GET targets). */
const DELETED_SHARE = 0.01;
const TWO_YEARS_MS = 2 * 365 * 24 * 3600 * 1000;

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function dbTime(ms) {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
}

/**
 * Yields customer rows as arrays of SQL-ready values (strings without quotes or backslashes,
 * numbers, null), for `count` customers of `merchantId`, with ids taken from `ids`.
 */
function makeRow(i, id, merchantId, now) {
  const first = pick(FIRST);
  const last = pick(LAST);
  const deleted = Math.random() < DELETED_SHARE;
  const email = `${first}.${last}.${i}@${Math.random() < GMAIL_SHARE ? 'gmail' : 'example'}.com`.toLowerCase();
  const created = now - Math.floor(Math.random() * TWO_YEARS_MS);
  const phone = `+1 555 ${String(1000000 + Math.floor(Math.random() * 8999999))}`;
  const city = Math.floor(Math.random() * CITIES.length);
  return {
    deleted,
    values: [
      id,
      merchantId,
      first,
      last,
      Math.random() < RARE_COMPANY_SHARE
        ? RARE_COMPANY
        : Math.random() < 0.3
          ? `${pick(COMPANIES)} ${pick(['Inc', 'LLC', 'Ltd'])}`
          : null,
      email,
      deleted ? null : email,
      phone,
      `${1 + Math.floor(Math.random() * 9999)} Main St`,
      CITIES[city],
      STATES[city],
      String(10000 + Math.floor(Math.random() * 89999)),
      'USA',
      Math.random() < 0.1 ? `Prefers email contact, account ${i}` : null,
      `CRM-${i}`,
      1,
      'Individual',
      'ACTIVE',
      0,
      1,
      dbTime(created),
      dbTime(created),
      deleted ? dbTime(now) : null,
    ],
  };
}

/**
 * The per-merchant counts the service keeps in each write's transaction (customer_counts), as the
 * migration computes them: the seeded rows bypass the service, so their counts are set here.
 */
const COUNTS_FROM_ROWS = `INSERT INTO customer_counts (merchant_id, live, deleted)
  SELECT merchant_id, SUM(CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END)
    FROM customers GROUP BY merchant_id`;

/**
 * The word-table rows (customer_words) of a seeded row, as the service writes them: the service's
 * own word rule, from its build, so the seeded table is what the migration's backfill would make.
 */
function wordRowsOf(values) {
  const { wordsOf } = require(join(BUILD_DIR, 'src', 'customers', 'customer-words.js'));
  const row = {};
  COLUMNS.forEach((c, k) => (row[c] = values[k]));
  const deleted = row.deleted_at === null ? 0 : 1;
  return [...wordsOf(row)].map((w) => [row.merchant_id, w, row.id, row.created_at, deleted]);
}

function sqlLiteral(v) {
  if (v === null) return 'NULL';
  if (typeof v === 'number') return String(v);
  return `'${v}'`;
}

/**
 * Plans the rows: `perMerchant[m]` customers for each merchant, ids sorted so the primary key
 * (clustered on MySQL) fills in order, merchants interleaved as in a real shared table.
 */
function planRows(perMerchant) {
  const total = perMerchant.reduce((a, b) => a + b, 0);
  const ids = new Array(total);
  for (let i = 0; i < total; i++) ids[i] = randomUUID();
  ids.sort();
  const owners = new Uint8Array(total);
  let k = 0;
  perMerchant.forEach((n, m) => {
    for (let j = 0; j < n; j++) owners[k++] = m;
  });
  // Fisher-Yates on the owners so merchants interleave through the id space.
  for (let i = total - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = owners[i];
    owners[i] = owners[j];
    owners[j] = t;
  }
  return { ids, owners, total };
}

/** Creates a merchant and its API key with the service's CLI (which also runs the migrations). */
async function createMerchant(databaseUrl, name) {
  const { stdout } = await execFileAsync(
    process.execPath,
    [join(BUILD_DIR, 'src', 'cli.js'), 'merchant:create', '--name', name, '--json'],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'production' } },
  );
  const out = JSON.parse(stdout.trim().split('\n').pop());
  if (!out.client_secret) throw new Error(`merchant:create failed: ${stdout}`);
  return out;
}

/**
 * Seeds customers into MySQL/MariaDB with multi-row INSERTs on two connections at once.
 * Returns the live customer ids of merchant 0 (the benchmarked one).
 */
async function seedMysql(connectionUrl, merchantIds, perMerchant, { batch = 2000, log } = {}) {
  const mysql = require('mysql2/promise');
  const { ids, owners, total } = planRows(perMerchant);
  const live = [];
  const now = Date.now();
  const conns = await Promise.all(
    [0, 1].map(async () => {
      const c = await mysql.createConnection({
        uri: connectionUrl,
        timezone: 'Z',
        charset: 'utf8mb4_unicode_ci',
      });
      await c.query('SET unique_checks = 0, foreign_key_checks = 0');
      return c;
    }),
  );
  const head = `INSERT INTO customers (${COLUMNS.join(', ')}) VALUES `;
  const wordsHead = 'INSERT INTO customer_words (merchant_id, word, customer_id, created_at, deleted) VALUES ';
  let next = 0;
  let done = 0;
  let lastLog = Date.now();
  const worker = async (conn) => {
    while (next < total) {
      const from = next;
      const to = Math.min(total, from + batch);
      next = to;
      const parts = new Array(to - from);
      const words = [];
      for (let i = from; i < to; i++) {
        const m = owners[i];
        const row = makeRow(i, ids[i], merchantIds[m], now);
        if (m === 0 && !row.deleted) live.push(ids[i]);
        parts[i - from] = `(${row.values.map(sqlLiteral).join(',')})`;
        for (const w of wordRowsOf(row.values)) words.push(`(${w.map(sqlLiteral).join(',')})`);
      }
      await conn.query(head + parts.join(','));
      await conn.query(wordsHead + words.join(','));
      done += to - from;
      if (log && Date.now() - lastLog > 10000) {
        lastLog = Date.now();
        log(`  seeded ${done.toLocaleString('en')} / ${total.toLocaleString('en')}`);
      }
    }
  };
  try {
    // Secondary indexes are dropped for the load and built again after it, by sorting: much
    // faster than updating them row by row in random order. Read from the schema, so whatever
    // indexes the migrations made come back exactly as they were.
    const indexes = await secondaryIndexes(conns[0]);
    if (indexes.length) {
      await conns[0].query(
        `ALTER TABLE customers ${indexes.map((i) => `DROP INDEX \`${i.name}\``).join(', ')}`,
      );
    }
    // The word table is its primary key: loaded without it (appended in load order), then the key
    // is built by sorting, instead of ~13 random B-tree inserts per customer.
    const wordKey = await primaryKeyOf(conns[0], 'customer_words');
    await conns[0].query('ALTER TABLE customer_words DROP PRIMARY KEY');
    await Promise.all(conns.map(worker));
    if (log) log('  building the word table\'s primary key');
    await conns[0].query(
      `ALTER TABLE customer_words ADD PRIMARY KEY (${wordKey.map((c) => `\`${c}\``).join(', ')})`,
    );
    if (indexes.length) {
      if (log) log(`  building ${indexes.length} indexes`);
      const add = indexes.map(
        (i) =>
          `ADD ${i.unique ? 'UNIQUE ' : ''}INDEX \`${i.name}\` (${i.columns.map((c) => `\`${c}\``).join(', ')})`,
      );
      await conns[0].query(`ALTER TABLE customers ${add.join(', ')}`);
    }
    await conns[0].query(COUNTS_FROM_ROWS);
    // Fresh optimizer statistics, as InnoDB would have computed them on its own after a while.
    await conns[0].query('ANALYZE TABLE customers');
  } finally {
    await Promise.all(conns.map((c) => c.end()));
  }
  return live;
}

/** A table's primary key columns, in order. */
async function primaryKeyOf(conn, table) {
  const [rows] = await conn.query(
    `SELECT COLUMN_NAME AS col FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
    [table],
  );
  return rows.map((r) => r.col);
}

/** The customers table's indexes other than the primary key: name, uniqueness, columns in order. */
async function secondaryIndexes(conn) {
  const [rows] = await conn.query(
    `SELECT INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS col, SUB_PART AS sub
       FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'customers' AND INDEX_NAME <> 'PRIMARY'
      ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
  );
  const byName = new Map();
  for (const r of rows) {
    if (r.sub !== null) throw new Error(`index ${r.name} has a prefix length; the seeder cannot rebuild it`);
    const i = byName.get(r.name) ?? { name: r.name, unique: Number(r.nonUnique) === 0, columns: [] };
    i.columns.push(r.col);
    byName.set(r.name, i);
  }
  return [...byName.values()];
}

/** Seeds customers into a SQLite file with prepared multi-row INSERTs in one transaction. */
function seedSqlite(file, merchantIds, perMerchant, { batch = 500 } = {}) {
  const Database = require('better-sqlite3');
  const db = new Database(file);
  try {
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const { ids, owners, total } = planRows(perMerchant);
    const live = [];
    const now = Date.now();
    const one = `(${COLUMNS.map(() => '?').join(',')})`;
    const stmtFor = (n) =>
      db.prepare(`INSERT INTO customers (${COLUMNS.join(', ')}) VALUES ${new Array(n).fill(one).join(',')}`);
    const full = stmtFor(batch);
    // As on MariaDB: the secondary indexes are dropped for the load and made again from their own
    // definitions afterwards (one sort each instead of random inserts into seven B-trees).
    const indexes = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'customers' AND sql IS NOT NULL")
      .all();
    for (const i of indexes) db.exec(`DROP INDEX "${i.name}"`);
    // The word table (WITHOUT ROWID: its primary key is the table) is filled in key order from a
    // scratch table, one sort instead of ~13 random B-tree inserts per customer.
    db.exec('CREATE TEMP TABLE words_load (merchant_id, word, customer_id, created_at, deleted)');
    const wordStatements = new Map();
    const wordsFor = (n) => {
      if (!wordStatements.has(n))
        wordStatements.set(n, db.prepare(`INSERT INTO words_load VALUES ${new Array(n).fill('(?,?,?,?,?)').join(',')}`));
      return wordStatements.get(n);
    };
    db.transaction(() => {
      for (let from = 0; from < total; from += batch) {
        const to = Math.min(total, from + batch);
        const params = [];
        const words = [];
        for (let i = from; i < to; i++) {
          const m = owners[i];
          const row = makeRow(i, ids[i], merchantIds[m], now);
          if (m === 0 && !row.deleted) live.push(ids[i]);
          for (const v of row.values) params.push(v);
          for (const w of wordRowsOf(row.values)) words.push(...w);
        }
        (to - from === batch ? full : stmtFor(to - from)).run(params);
        for (let k = 0; k < words.length; k += 5000) {
          const chunk = words.slice(k, k + 5000);
          wordsFor(chunk.length / 5).run(chunk);
        }
      }
    })();
    db.exec('INSERT INTO customer_words SELECT * FROM words_load ORDER BY 1, 2, 3');
    db.exec('DROP TABLE words_load');
    for (const i of indexes) db.exec(i.sql);
    db.exec('ANALYZE');
    db.exec(COUNTS_FROM_ROWS);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return live;
  } finally {
    db.close();
  }
}

module.exports = { createMerchant, seedMysql, seedSqlite, COLUMNS };
