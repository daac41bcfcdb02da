/**
 * The webhook backlog gauges (README, "Webhooks", "Visible"): one scrape reads the backlog once for
 * both of them (the read counts every pending delivery), and each scrape reads it anew.
 */
import type { DatabaseService } from '../database/database.service';
import { MetricsService } from './metrics.service';

describe('MetricsService webhook backlog', () => {
  const db = {
    dialect: { kind: 'mysql', poolStats: () => ({ total: 1, idle: 1, waiting: 0 }) },
    dataSource: {},
  } as unknown as DatabaseService;

  it('reads the backlog once per scrape, for both gauges', async () => {
    const metrics = new MetricsService(db);
    const backlog = jest.fn((): Promise<{ pending: number; oldest: Date | null }> =>
      Promise.resolve({ pending: 3, oldest: new Date(Date.now() - 5_000) }),
    );
    metrics.webhookBacklog = backlog;

    const first = await metrics.registry.metrics();
    expect(backlog).toHaveBeenCalledTimes(1);
    expect(first).toMatch(/^webhook_deliveries_pending 3$/m);
    const age = Number(/^webhook_oldest_pending_age_seconds (\S+)$/m.exec(first)![1]);
    expect(age).toBeGreaterThanOrEqual(5);
    expect(age).toBeLessThan(60);

    backlog.mockImplementation(() => Promise.resolve({ pending: 0, oldest: null }));
    const second = await metrics.registry.metrics();
    expect(backlog).toHaveBeenCalledTimes(2);
    expect(second).toMatch(/^webhook_deliveries_pending 0$/m);
    expect(second).toMatch(/^webhook_oldest_pending_age_seconds 0$/m);
  });

  it('a failed read fails that scrape only', async () => {
    const metrics = new MetricsService(db);
    metrics.webhookBacklog = jest
      .fn()
      .mockRejectedValueOnce(new Error('database gone'))
      .mockResolvedValue({ pending: 1, oldest: null });
    await expect(metrics.registry.metrics()).rejects.toThrow('database gone');
    expect(await metrics.registry.metrics()).toMatch(/^webhook_deliveries_pending 1$/m);
  });
});
