#!/usr/bin/env node
/**
 * Adds lockfile entries for optional, platform-specific native bindings that the registry this
 * project is developed against does not serve (it answers 404 for, say,
 * @unrs/resolver-binding-darwin-arm64). `npm install` then leaves them out of package-lock.json,
 * and `npm ci` refuses the lockfile ("Missing: @unrs/resolver-binding-… from lock file"), here and
 * on any other machine.
 *
 * Each added entry only records the name, the exact version the parent pins, and the os/cpu/libc
 * read from the package name, marked optional: npm ci then skips it on every platform it does not
 * fit, without downloading anything. Bindings for the current platform are never stubbed.
 *
 *   node scripts/complete-lockfile.js           add the missing entries (run after npm install)
 *   node scripts/complete-lockfile.js --check   list them and exit 1 if there are any
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const LOCK = path.join(__dirname, '..', 'package-lock.json');
const OS = ['aix', 'android', 'darwin', 'freebsd', 'linux', 'netbsd', 'openbsd', 'openharmony', 'sunos', 'win32'];
const CPU = ['arm', 'arm64', 'ia32', 'loong64', 'mips64el', 'ppc64', 'riscv64', 's390x', 'wasm32', 'x64'];

/** os, cpu and libc from a binding's name, e.g. resolver-binding-linux-arm-musleabihf. */
function platformOf(name) {
  const tokens = name.split('/').pop().split('-');
  const os = tokens.find((t) => OS.includes(t));
  const cpu = tokens.find((t) => CPU.includes(t));
  if (!cpu || (!os && cpu !== 'wasm32')) return undefined;
  const libc = tokens.some((t) => /^musl/.test(t)) ? 'musl' : tokens.some((t) => /^gnu/.test(t)) ? 'glibc' : undefined;
  return { os, cpu, libc };
}

function fitsHere({ os, cpu }) {
  return (os === undefined || os === process.platform) && cpu === process.arch;
}

/** Where Node's resolution would find `name` from the package at `from` (a lockfile key). */
function resolves(packages, from, name) {
  let dir = from;
  for (;;) {
    if (packages[`${dir ? `${dir}/` : ''}node_modules/${name}`]) return true;
    if (!dir) return false;
    const i = dir.lastIndexOf('node_modules/');
    dir = i <= 0 ? '' : dir.slice(0, i - 1);
  }
}

const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'));
const packages = lock.packages ?? {};
const added = [];
const problems = [];

for (const [key, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolves(packages, key, name)) continue;
    const platform = platformOf(name);
    if (!platform) {
      problems.push(`${name} (optional dependency of ${key || 'the root'}): not a platform binding`);
      continue;
    }
    if (fitsHere(platform)) {
      problems.push(`${name}: fits this platform, so it must be installed, not stubbed`);
      continue;
    }
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) {
      problems.push(`${name}@${spec}: not an exact version`);
      continue;
    }
    const stub = { version: spec };
    if (platform.cpu) stub.cpu = [platform.cpu];
    for (const flag of ['dev', 'devOptional', 'peer']) if (entry[flag]) stub[flag] = true;
    if (platform.libc) stub.libc = [platform.libc];
    stub.optional = true;
    if (platform.os) stub.os = [platform.os];
    // Hoisted to the top level unless another version already sits there, as npm would place it.
    const top = `node_modules/${name}`;
    const target = packages[top] ? `${key ? `${key}/` : ''}node_modules/${name}` : top;
    if (!packages[target] && !added.some((a) => a.target === target)) added.push({ target, stub });
  }
}

for (const p of problems) console.error(`complete-lockfile: cannot stub ${p}`);
if (process.argv.includes('--check')) {
  for (const { target, stub } of added) console.log(`missing: ${target}@${stub.version}`);
  process.exit(added.length || problems.length ? 1 : 0);
}

if (added.length) {
  const merged = { ...packages };
  for (const { target, stub } of added) merged[target] = stub;
  // npm's own order: the root entry first, then the keys compared with localeCompare('en').
  const keys = Object.keys(merged).filter((k) => k !== '').sort((a, b) => a.localeCompare(b, 'en'));
  lock.packages = Object.fromEntries([['', merged['']], ...keys.map((k) => [k, merged[k]])]);
  fs.writeFileSync(LOCK, JSON.stringify(lock, null, 2) + '\n');
}
console.log(`complete-lockfile: added ${added.length} entr${added.length === 1 ? 'y' : 'ies'}`);
process.exit(problems.length ? 1 : 0);
