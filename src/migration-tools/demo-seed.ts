/**
 * demo:seed: realistic-looking demo customers for one merchant (names, companies, addresses,
 * phones, statuses, notes), so a new user can try the list, its filters and search on data that
 * looks real. Written through the same batch write as an import (actor `cli:demo-seed`).
 */
import { Injectable } from '@nestjs/common';
import type { CustomerPatch } from '../customers/customer.entity';
import { BULK_MAX_ITEMS, bulkFailed, CustomersService } from '../customers/customers.service';
import { cliContext } from './cli-context';
import type { Progress } from './progress';

const FIRST = [
  'James',
  'Mary',
  'Robert',
  'Patricia',
  'John',
  'Jennifer',
  'Michael',
  'Linda',
  'David',
  'Elizabeth',
  'William',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Carlos',
  'Maria',
  'Wei',
  'Aisha',
  'Hiroshi',
  'Zoë',
  'Olga',
  'Mateo',
  'Priya',
  'Noah',
  'Emma',
  'Liam',
];
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
  'Chen',
  'Nguyen',
  'Kim',
  'Patel',
  'Müller',
  "O'Brien",
  'Rossi',
  'Kowalski',
  'Tanaka',
];
const COMPANY_A = [
  'Acme',
  'Blue Ridge',
  'Summit',
  'Harbor',
  'Pioneer',
  'Evergreen',
  'Golden Gate',
  'Lakeside',
  'Redwood',
  'Silverline',
  'Northwind',
  'Maple Leaf',
];
const COMPANY_B = [
  'Bakery',
  'Consulting',
  'Dental',
  'Hardware',
  'Logistics',
  'Coffee Roasters',
  'Plumbing',
  'Fitness',
  'Books',
  'Florist',
  'Auto Repair',
  'Design Studio',
];
const STREETS = [
  'Main St',
  'Oak Ave',
  'Pine Rd',
  'Maple Dr',
  'Cedar Ln',
  'Elm St',
  'Washington Blvd',
  'Lake Shore Dr',
  'Park Ave',
  'Sunset Blvd',
];
const CITIES: [string, string, string][] = [
  ['Orlando', 'FL', '328'],
  ['Austin', 'TX', '787'],
  ['Denver', 'CO', '802'],
  ['Seattle', 'WA', '981'],
  ['Boston', 'MA', '021'],
  ['Chicago', 'IL', '606'],
  ['Phoenix', 'AZ', '850'],
  ['Portland', 'OR', '972'],
  ['Atlanta', 'GA', '303'],
  ['Nashville', 'TN', '372'],
];
const NOTES = [
  null,
  null,
  'Prefers email over phone.',
  'VIP: call before shipping.',
  'Pays by invoice, net 30.',
  'Met at the spring trade show.',
  'Wholesale pricing agreed.',
  null,
];
const TYPES = [
  'Individual',
  'Individual',
  'Individual',
  'Startup',
  'Small Business',
  'Small Business',
  'Medium Business',
  'Enterprise',
  'Non-Profit',
  'Government',
] as const;
const STATUSES = [
  'ACTIVE',
  'ACTIVE',
  'ACTIVE',
  'ACTIVE',
  'ACTIVE',
  'ACTIVE',
  'ACTIVE',
  'ACTIVE',
  'DEACTIVATED',
  'BLACKLISTED',
] as const;

/** A small seeded generator (mulberry32), so a seed gives the same customers every time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The i-th demo customer of a run (`run` keeps emails unique across runs). */
export function demoCustomer(i: number, rnd: () => number, run: string): CustomerPatch {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const first = pick(FIRST);
  const last = pick(LAST);
  const [city, state, zip] = pick(CITIES);
  const business = rnd() < 0.4;
  const local = `${first}.${last}`
    .toLowerCase()
    .normalize('NFD')
    .replace(/[^a-z.]/g, '');
  const digits = () => String(Math.floor(rnd() * 10_000_000)).padStart(7, '0');
  return {
    firstname: first,
    lastname: last,
    company: business ? `${pick(COMPANY_A)} ${pick(COMPANY_B)}` : null,
    email: `${local}.${run}-${i}@example.com`,
    phone: `+1 (${200 + Math.floor(rnd() * 700)}) ${digits().slice(0, 3)}-${digits().slice(0, 4)}`,
    address_1: `${1 + Math.floor(rnd() * 9899)} ${pick(STREETS)}`,
    address_2: rnd() < 0.15 ? `Suite ${100 + Math.floor(rnd() * 800)}` : null,
    address_city: city,
    address_state: state,
    address_zip: `${zip}${String(Math.floor(rnd() * 100)).padStart(2, '0')}`,
    address_country: 'USA',
    notes: pick(NOTES),
    reference: `DEMO-${run}-${String(i).padStart(6, '0')}`,
    customer_type: business ? pick(TYPES.slice(3)) : 'Individual',
    status: pick(STATUSES),
  };
}

@Injectable()
export class DemoSeeder {
  constructor(private readonly customers: CustomersService) {}

  async run(opts: {
    merchantId: string;
    count: number;
    seed: number;
    progress: Progress;
  }): Promise<{ created: number }> {
    const rnd = random(opts.seed);
    const run = opts.seed.toString(36);
    const ctx = cliContext(opts.merchantId, 'cli:demo-seed');
    let created = 0;
    for (let start = 0; start < opts.count; start += BULK_MAX_ITEMS) {
      const n = Math.min(BULK_MAX_ITEMS, opts.count - start);
      const items = Array.from({ length: n }, (_, k) => ({ patch: demoCustomer(start + k, rnd, run) }));
      const { results } = await this.customers.bulk(ctx, items, {
        identityRule: true,
        atomic: false,
        createdStatus: 201,
      });
      created += results.filter((r) => !bulkFailed(r)).length;
      opts.progress.update(start + n);
    }
    opts.progress.stop();
    return { created };
  }
}
