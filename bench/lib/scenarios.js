'use strict';
/**
 * The scenarios and the load driver. Each scenario picks a random live customer of the
 * benchmarked merchant per request (autocannon's setupRequest), so the database sees the whole
 * table, not one hot row.
 */
const autocannon = require('autocannon');
const { percentile, round } = require('./util');

/** GET /customer filter of the list scenarios: 1 in 100 customers is a Smith. */
const LIST_FILTER = 'lastname=smith';
const KEYWORD = 'smith';
/**
 * A filter on cities (no index serves it, and their words are not in the word table) that no
 * seeded customer matches: the page and the capped count both read every customer of the
 * merchant. (A keyword or first name no one has is answered from the word table at once, so
 * neither is a slow list any more.)
 */
const NO_MATCH_FILTER = 'address_city=xqzv';
/** A first name no seeded customer has: no index of its own, its candidates from the word table. */
const NO_MATCH_FIRSTNAME = 'firstname=xqzv';
/** A per-field filter on a rare prefix: 1 in 40 first names × 1 in 100 last names (0.025 %). */
const RARE_FILTER = 'email=mary.jones';

/**
 * Keywords of the keyword scenarios, by share of the seeded customers they match (bench/lib/seed.js):
 * a company 1 in 10,000 has, the surname of 1 in 100 (also in their emails), the mail domain of 3 in 10.
 */
const KEYWORDS = { rare: 'zephyr', smith: 'smith', gmail: 'gmail' };
const KEYWORD_SHARE = { rare: '0.01 %', smith: '1 %', gmail: '30 %' };

/** Items per request of the bulk scenario. */
const BULK_ITEMS = 100;

function randomId(ids) {
  return ids[Math.floor(Math.random() * ids.length)];
}

/**
 * target: which process serves it. atScale: 'all' runs at every scale (the 10k vs 1M comparison),
 * 'base' only at the smallest.
 */
const SCENARIOS = [
  {
    name: 'baseline_put',
    title: 'raw baseline: PUT one field',
    target: 'baseline',
    atScale: 'all',
    request: (ctx) => putRequest(ctx, {}),
  },
  {
    name: 'put',
    title: 'PUT /customer/{id} one field (headline)',
    target: 'service',
    atScale: 'all',
    request: (ctx) => putRequest(ctx, {}),
  },
  {
    name: 'baseline_get',
    title: 'raw baseline: GET by id',
    target: 'baseline',
    atScale: 'all',
    request: (ctx) => getRequest(ctx),
  },
  {
    name: 'get',
    title: 'GET /customer/{id}',
    target: 'service',
    atScale: 'all',
    request: (ctx) => getRequest(ctx),
  },
  {
    name: 'patch_v0',
    title: 'PATCH /api/v0/customers/{id} one field',
    target: 'service',
    atScale: 'base',
    request: (ctx) => {
      let n = 0;
      return {
        method: 'PATCH',
        headers: {
          'content-type': 'application/json',
          'x-client-key': ctx.merchant.client_key,
          'x-client-secret': ctx.merchant.client_secret,
        },
        setupRequest: (req) => {
          req.path = `/api/v0/customers/${randomId(ctx.ids)}`;
          req.body = JSON.stringify({ first_name: `Bench ${ctx.tag} ${n++}` });
          return req;
        },
      };
    },
  },
  {
    // Compare its items/s (req/s × 100) with patch_v0's req/s: the issue-16 target is 10×.
    name: 'bulk_v0',
    title: `POST /api/v0/customers/bulk, ${BULK_ITEMS} one-field updates per request`,
    itemsPerRequest: BULK_ITEMS,
    target: 'service',
    atScale: 'base',
    request: (ctx) => {
      let n = 0;
      return {
        method: 'POST',
        path: '/api/v0/customers/bulk',
        headers: {
          'content-type': 'application/json',
          'x-client-key': ctx.merchant.client_key,
          'x-client-secret': ctx.merchant.client_secret,
        },
        setupRequest: (req) => {
          const items = Array.from({ length: BULK_ITEMS }, () => ({
            id: randomId(ctx.ids),
            first_name: `Bench ${ctx.tag} ${n++}`,
          }));
          req.body = JSON.stringify({ items });
          return req;
        },
      };
    },
  },
  {
    name: 'put_idempotent',
    title: 'PUT /customer/{id} with a new idempotency-key',
    target: 'service',
    atScale: 'base',
    request: (ctx) => putRequest(ctx, { idempotency: true }),
  },
  {
    name: 'list_filter',
    alonePath: `/customer?${LIST_FILTER}&page=1`,
    title: `GET /customer?${LIST_FILTER} (page 1)`,
    target: 'service',
    atScale: 'all',
    request: (ctx) => ({
      method: 'GET',
      path: `/customer?${LIST_FILTER}&page=1`,
      headers: { authorization: `Bearer ${ctx.merchant.client_secret}` },
    }),
  },
  {
    name: 'list_page',
    alonePath: '/customer?page=1',
    title: 'GET /customer (page 1, no filter)',
    target: 'service',
    atScale: 'all',
    request: (ctx) => ({
      method: 'GET',
      path: '/customer?page=1',
      headers: { authorization: `Bearer ${ctx.merchant.client_secret}` },
    }),
  },
  {
    name: 'list_firstname_none',
    alonePath: `/customer?${NO_MATCH_FIRSTNAME}`,
    title: `GET /customer?${NO_MATCH_FIRSTNAME} (no match; candidates from the word table)`,
    target: 'service',
    atScale: 'all',
    request: (ctx) => listRequest(ctx, () => `/customer?${NO_MATCH_FIRSTNAME}`),
  },
  {
    name: 'list_rare',
    alonePath: `/customer?${RARE_FILTER}`,
    title: `GET /customer?${RARE_FILTER} (0.025 %)`,
    target: 'service',
    atScale: 'all',
    request: (ctx) => listRequest(ctx, () => `/customer?${RARE_FILTER}`),
  },
  {
    name: 'list_email',
    alonePath: (ctx) => `/customer?email=${encodeURIComponent(pick(ctx.emails))}`,
    title: 'GET /customer?email=<a whole address> (Stax: starts with)',
    target: 'service',
    atScale: 'all',
    request: (ctx) => listRequest(ctx, () => `/customer?email=${encodeURIComponent(pick(ctx.emails))}`),
  },
  {
    name: 'list_email_v0',
    alonePath: (ctx) => `/api/v0/customers?email=${encodeURIComponent(pick(ctx.emails).toUpperCase())}`,
    aloneHeaders: (ctx) => v0Headers(ctx),
    title: 'GET /api/v0/customers?email=<address> (v0: exact)',
    target: 'service',
    atScale: 'all',
    request: (ctx) => ({
      method: 'GET',
      headers: v0Headers(ctx),
      setupRequest: (req) => {
        req.path = `/api/v0/customers?email=${encodeURIComponent(pick(ctx.emails).toUpperCase())}`;
        return req;
      },
    }),
  },
  {
    // A random customer's place in created_at order is anywhere in the book: half a million deep
    // on average at 1M.
    name: 'list_cursor',
    alonePath: (ctx) => `/customer?after=${randomId(ctx.ids)}`,
    title: 'GET /customer?after=<a random customer> (cursor page, deep)',
    target: 'service',
    atScale: 'all',
    request: (ctx) => listRequest(ctx, () => `/customer?after=${randomId(ctx.ids)}`),
  },
  {
    // Issue 12, "no stalls": PUT p99 with slow lists running beside it, against `put`'s (alone) in
    // the same round. The list matches no one, so each of its statements reads the whole book. The
    // lists (`beside`) run on their own connections for the whole run and are reported apart; on SQLite they run on the read workers (README, "What runs where").
    name: 'put_beside_list',
    title: `PUT /customer/{id} one field, 2 connections of GET /customer?${NO_MATCH_FILTER} beside it`,
    target: 'service',
    atScale: 'base',
    request: (ctx) => putRequest(ctx, {}),
    beside: {
      connections: 2,
      request: (ctx) => ({
        method: 'GET',
        path: `/customer?${NO_MATCH_FILTER}`,
        headers: { authorization: `Bearer ${ctx.merchant.client_secret}` },
      }),
    },
  },
  {
    name: 'list_keywords',
    alonePath: `/customer?keywords%5B%5D=${KEYWORD}`,
    title: `GET /customer?keywords[]=${KEYWORD}`,
    target: 'service',
    atScale: 'base',
    request: (ctx) => ({
      method: 'GET',
      path: `/customer?keywords%5B%5D=${KEYWORD}`,
      headers: { authorization: `Bearer ${ctx.merchant.client_secret}` },
    }),
  },
  ...Object.entries(KEYWORDS).map(([name, keyword]) => ({
    name: `list_kw_${name}`,
    alonePath: `/customer?keywords%5B%5D=${keyword}`,
    title: `GET /customer?keywords[]=${keyword} (${KEYWORD_SHARE[name]})`,
    target: 'service',
    atScale: 'all',
    request: (ctx) => ({
      method: 'GET',
      path: `/customer?keywords%5B%5D=${keyword}`,
      headers: { authorization: `Bearer ${ctx.merchant.client_secret}` },
    }),
  })),
];

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

function v0Headers(ctx) {
  return { 'x-client-key': ctx.merchant.client_key, 'x-client-secret': ctx.merchant.client_secret };
}

/** A GET of the Stax list with a path made anew for each request. */
function listRequest(ctx, path) {
  return {
    method: 'GET',
    headers: { authorization: `Bearer ${ctx.merchant.client_secret}` },
    setupRequest: (req) => {
      req.path = path();
      return req;
    },
  };
}

function putRequest(ctx, { idempotency }) {
  let n = 0;
  return {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ctx.merchant.client_secret}` },
    setupRequest: (req) => {
      const i = n++;
      req.path = `/customer/${randomId(ctx.ids)}`;
      req.body = JSON.stringify({ firstname: `Bench ${ctx.tag} ${i}` });
      if (idempotency) req.headers = { ...req.headers, 'idempotency-key': `bench-${ctx.tag}-${i}` };
      return req;
    },
  };
}

function getRequest(ctx) {
  return {
    method: 'GET',
    headers: { authorization: `Bearer ${ctx.merchant.client_secret}` },
    setupRequest: (req) => {
      req.path = `/customer/${randomId(ctx.ids)}`;
      return req;
    },
  };
}

/**
 * Drives one scenario for `duration` seconds at `connections` concurrent connections and returns
 * throughput (2xx responses per second) and exact latency percentiles (ms) of every response.
 */
function drive({ port, connections, duration, request, onStart }) {
  return new Promise((done, fail) => {
    const latencies = [];
    const statusCodes = {};
    const started = process.hrtime.bigint();
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections,
        duration,
        // Generous: a list at a million customers takes seconds under load, and is measured so.
        timeout: 30,
        requests: [request],
      },
      (err, result) => {
        if (err) return fail(err);
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const sorted = Float64Array.from(latencies).sort();
        const ok = Object.entries(statusCodes)
          .filter(([code]) => code.startsWith('2'))
          .reduce((a, [, n]) => a + n, 0);
        done({
          requests: sorted.length,
          rps: round(ok / seconds, 1),
          p50: round(percentile(sorted, 50)),
          p90: round(percentile(sorted, 90)),
          p99: round(percentile(sorted, 99)),
          max: round(sorted.length ? sorted[sorted.length - 1] : 0),
          mean: round(sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0),
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          statusCodes,
          seconds: round(seconds, 1),
        });
      },
    );
    // The caller may stop it early (instance.stop()): a load that runs beside another one.
    onStart?.(instance);
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
  });
}

module.exports = { SCENARIOS, drive, LIST_FILTER, KEYWORD };
