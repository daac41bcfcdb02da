import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface TargetRules {
  /** Loopback, private, link-local and other non-public addresses are allowed (tests, private networks). */
  allowPrivate: boolean;
  /** Plain http:// targets are allowed (outside production by default). */
  allowHttp: boolean;
}

export const MAX_URL_LENGTH = 2048;

/**
 * Why an address may not receive webhooks, or null if it may: anything but a public unicast
 * address (loopback, RFC 1918 private, link-local with the cloud metadata address 169.254.169.254,
 * carrier-grade NAT, unique-local IPv6, multicast, reserved…). An IPv4-mapped IPv6 address is
 * judged as the IPv4 address it carries.
 */
export function refusedAddress(address: string, rules: TargetRules): string | null {
  if (rules.allowPrivate) return null;
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  const ip = ipaddr.process(address);
  const range = ip.range();
  return range === 'unicast' ? null : `${address} is a ${range} address`;
}

/** The URL's shape: http(s), a host, no fragment, within the length limit. A message when it is wrong. */
export function urlProblem(raw: string, rules: TargetRules): { url?: URL; problem?: string } {
  if (raw.length > MAX_URL_LENGTH) return { problem: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'must be an absolute http or https URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { problem: 'must be an http or https URL' };
  if (url.protocol === 'http:' && !rules.allowHttp) return { problem: 'must use https' };
  if (!url.hostname) return { problem: 'must name a host' };
  if (url.hash) return { problem: 'must not have a #fragment' };
  return { url };
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Resolves the target's host and checks every address it resolves to: at creation, so a bad
 * target is a 400, and again by the sender at every attempt (DNS can change), where the address
 * checked is the address connected to.
 */
export async function checkTarget(url: URL, rules: TargetRules): Promise<string | null> {
  const host = hostOf(url);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      return `host ${host} does not resolve`;
    }
  }
  for (const a of addresses) {
    const refused = refusedAddress(a, rules);
    if (refused)
      return `${host} resolves to a refused address (${refused}); set WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow it`;
  }
  return null;
}
