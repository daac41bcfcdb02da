import type { FastifyRequest } from 'fastify';

export interface LaravelPage<T> {
  current_page: number;
  data: T[];
  first_page_url: string;
  from: number | null;
  last_page: number;
  last_page_url: string;
  next_page_url: string | null;
  path: string;
  per_page: number;
  prev_page_url: string | null;
  to: number | null;
  total: number;
  /** `eq`: total is exact; `gte`: the search stopped counting at total. */
  total_relation: 'eq' | 'gte';
}

/** How many match: exactly `total`, or at least `total` when counting stopped there. */
export interface PageCount {
  total: number;
  exact: boolean;
}

/**
 * Laravel's length-aware paginator envelope, as Stax returns it, with `total_relation` added.
 * Page links keep the request's other query parameters, so following next_page_url continues the
 * same search. A page read with `after` (a cursor) links on with `after`: next_page_url carries the
 * last id of this page (`nextAfter`), and current_page, from and to count from the cursor.
 */
export function laravelPage<T>(
  req: FastifyRequest,
  data: T[],
  count: PageCount,
  page: number,
  perPage: number,
  cursor?: { nextAfter: string | null },
): LaravelPage<T> {
  const { total } = count;
  const path = `${req.protocol}://${req.headers.host ?? 'localhost'}${req.url.split('?')[0]}`;
  const base = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) {
    if (k === 'page' || k === 'after') continue;
    for (const item of Array.isArray(v) ? v : [v]) if (typeof item === 'string') base.append(k, item);
  }
  const url = (p: number) => {
    const q = new URLSearchParams(base);
    q.set('page', String(p));
    return `${path}?${q.toString()}`;
  };
  const afterUrl = (id: string) => {
    const q = new URLSearchParams(base);
    q.set('after', id);
    return `${path}?${q.toString()}`;
  };
  const next = cursor
    ? cursor.nextAfter && afterUrl(cursor.nextAfter)
    : page < Math.max(1, Math.ceil(total / perPage))
      ? url(page + 1)
      : null;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const from = data.length ? (page - 1) * perPage + 1 : null;
  return {
    current_page: page,
    data,
    first_page_url: url(1),
    from,
    last_page: lastPage,
    last_page_url: url(lastPage),
    next_page_url: next,
    path,
    per_page: perPage,
    prev_page_url: !cursor && page > 1 ? url(page - 1) : null,
    to: from === null ? null : from + data.length - 1,
    total,
    total_relation: count.exact ? 'eq' : 'gte',
  };
}
