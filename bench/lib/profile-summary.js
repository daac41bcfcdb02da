'use strict';
/**
 * Where the time went in a .cpuprofile: self time by package (or "service" for dist/src, "node"
 * for Node's internals) and the hottest functions. Usable alone:
 *   node bench/lib/profile-summary.js bench/results/profiles-…/mariadb-10000-put.cpuprofile
 */
const { readFileSync } = require('node:fs');

function ownerOf(url) {
  if (!url) return null;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (/\/(dist|\.build)\/src\/|\/src\//.test(url)) return 'service';
  if (url.startsWith('node:')) return 'node';
  return url;
}

function summarize(profile, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const owners = new Map();
  const fns = new Map();
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    const name = callFrame.functionName || '(anonymous)';
    const owner = name.startsWith('(') && !callFrame.url ? name : (ownerOf(callFrame.url) ?? '(native)');
    owners.set(owner, (owners.get(owner) ?? 0) + us);
    const where = callFrame.url
      ? `${callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${callFrame.lineNumber + 1}`
      : '';
    const key = `${name} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const pct = (us) => Math.round((us / total) * 1000) / 10;
  const sortDesc = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: Math.round(total / 1000),
    byOwner: sortDesc(owners)
      .slice(0, top)
      .map(([owner, us]) => ({ owner, pct: pct(us) })),
    topFunctions: sortDesc(fns)
      .slice(0, top)
      .map(([fn, us]) => ({ fn, pct: pct(us) })),
  };
}

if (require.main === module) {
  for (const file of process.argv.slice(2)) {
    const s = summarize(JSON.parse(readFileSync(file, 'utf8')), 25);
    console.log(`# ${file} (${s.totalMs} ms sampled)\n\nself time by owner:`);
    for (const o of s.byOwner) console.log(`  ${String(o.pct).padStart(5)}%  ${o.owner}`);
    console.log('\nhottest functions (self):');
    for (const f of s.topFunctions) console.log(`  ${String(f.pct).padStart(5)}%  ${f.fn}`);
    console.log('');
  }
}

module.exports = { summarize };
