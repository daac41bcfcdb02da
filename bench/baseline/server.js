'use strict';
/**
 * The raw baseline: a minimal node:http server with no framework and no ORM that runs the SQL a
 * `PUT /customer/{id}` needs — one transaction with the row read (FOR UPDATE on MySQL), the
 * update, and the audit insert — and `GET /customer/{id}` (one row read). mysql2 with a pool of
 * 10 connections, as the service has; better-sqlite3 for SQLite. The bearer secret is checked
 * against its SHA-256 held in memory (no database look-up): the cheapest honest check.
 *
 * Env: DATABASE_URL, PORT, BASELINE_MERCHANT_ID, BASELINE_CLIENT_KEY, BASELINE_SECRET_HASH.
 */
const { createHash, randomUUID, timingSafeEqual } = require('node:crypto');
const http = require('node:http');

const url = process.env.DATABASE_URL;
const merchantId = process.env.BASELINE_MERCHANT_ID;
const clientKey = process.env.BASELINE_CLIENT_KEY;
const secretHash = Buffer.from(process.env.BASELINE_SECRET_HASH, 'hex');
const WRITABLE = new Set(['firstname', 'lastname', 'company', 'email', 'phone', 'notes', 'reference']);
const ROUTE = /^\/customer\/([0-9a-f-]{36})$/;

function authorized(req) {
  const m = /^Bearer\s+(\S+)$/.exec(req.headers.authorization ?? '');
  if (!m) return false;
  return timingSafeEqual(createHash('sha256').update(m[1]).digest(), secretHash);
}

function send(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function readBody(req) {
  return new Promise((done, fail) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        done(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch (err) {
        fail(err);
      }
    });
    req.on('error', fail);
  });
}

/** The field changes a body makes to a row: {field: {from, to}} for writable fields that differ. */
function diff(row, body) {
  const changes = {};
  for (const [k, v] of Object.entries(body)) {
    if (WRITABLE.has(k) && row[k] !== v) changes[k] = { from: row[k], to: v };
  }
  return changes;
}

function mysqlStore() {
  const mysql = require('mysql2/promise');
  const pool = mysql.createPool({
    uri: url,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectionLimit: 10,
    waitForConnections: true,
    enableKeepAlive: true,
  });
  return {
    async get(id) {
      const [rows] = await pool.query('SELECT * FROM customers WHERE merchant_id = ? AND id = ?', [
        merchantId,
        id,
      ]);
      return rows[0];
    },
    async put(id, body, requestId) {
      const conn = await pool.getConnection();
      try {
        await conn.query('START TRANSACTION');
        try {
          const [rows] = await conn.query(
            'SELECT * FROM customers WHERE merchant_id = ? AND id = ? FOR UPDATE',
            [merchantId, id],
          );
          const row = rows[0];
          if (!row || row.deleted_at) {
            await conn.query('ROLLBACK');
            return undefined;
          }
          const changes = diff(row, body);
          const fields = Object.keys(changes);
          if (fields.length === 0) {
            await conn.query('COMMIT');
            return row;
          }
          const now = new Date();
          const set = {
            ...Object.fromEntries(fields.map((f) => [f, body[f]])),
            version: row.version + 1,
            updated_at: now,
          };
          await conn.query('UPDATE customers SET ? WHERE merchant_id = ? AND id = ?', [set, merchantId, id]);
          await conn.query(
            'INSERT INTO audit_entries (id, merchant_id, customer_id, action, changes, actor, request_id, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
            [
              randomUUID(),
              merchantId,
              id,
              'customer.updated',
              JSON.stringify(changes),
              clientKey,
              requestId,
              null,
              now,
            ],
          );
          await conn.query('COMMIT');
          return { ...row, ...set };
        } catch (err) {
          await conn.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      } finally {
        conn.release();
      }
    },
  };
}

function sqliteStore() {
  const Database = require('better-sqlite3');
  const db = new Database(url.slice('sqlite:'.length), { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const select = db.prepare('SELECT * FROM customers WHERE merchant_id = ? AND id = ?');
  const insertAudit = db.prepare(
    'INSERT INTO audit_entries (id, merchant_id, customer_id, action, changes, actor, request_id, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const updates = new Map();
  const put = db.transaction((id, body, requestId) => {
    const row = select.get(merchantId, id);
    if (!row || row.deleted_at) return undefined;
    const changes = diff(row, body);
    const fields = Object.keys(changes);
    if (fields.length === 0) return row;
    const now = new Date().toISOString().replace('T', ' ').slice(0, 23);
    const key = fields.join(',');
    let update = updates.get(key);
    if (!update) {
      update = db.prepare(
        `UPDATE customers SET ${fields.map((f) => `${f} = ?`).join(', ')}, version = ?, updated_at = ? WHERE merchant_id = ? AND id = ?`,
      );
      updates.set(key, update);
    }
    update.run(...fields.map((f) => body[f]), row.version + 1, now, merchantId, id);
    insertAudit.run(
      randomUUID(),
      merchantId,
      id,
      'customer.updated',
      JSON.stringify(changes),
      clientKey,
      requestId,
      null,
      now,
    );
    return {
      ...row,
      ...Object.fromEntries(fields.map((f) => [f, body[f]])),
      version: row.version + 1,
      updated_at: now,
    };
  });
  return {
    get: async (id) => select.get(merchantId, id),
    put: async (id, body, requestId) => put(id, body, requestId),
  };
}

const store = url.startsWith('sqlite:') ? sqliteStore() : mysqlStore();

const server = http.createServer((req, res) => {
  const m = ROUTE.exec(req.url);
  if (!m) return send(res, 404, { message: 'not found' });
  if (!authorized(req)) return send(res, 401, { message: 'Invalid API credentials' });
  const id = m[1];
  const requestId = randomUUID();
  res.setHeader('x-request-id', requestId);
  const work =
    req.method === 'GET'
      ? store.get(id)
      : req.method === 'PUT'
        ? readBody(req).then((body) => store.put(id, body, requestId))
        : Promise.reject(Object.assign(new Error('method'), { status: 405 }));
  work.then(
    (row) => (row ? send(res, 200, row) : send(res, 404, { message: 'Customer not found' })),
    (err) => send(res, err.status ?? 500, { message: err.message }),
  );
});

server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`baseline listening on ${process.env.PORT}\n`);
});
process.on('SIGTERM', () => process.exit(0));
