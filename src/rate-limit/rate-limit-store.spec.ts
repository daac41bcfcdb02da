import { IntervalWarning, redisAddress } from './rate-limit-store';

describe('IntervalWarning', () => {
  it('is due the first time, then once per interval, and again at once after reset', () => {
    let now = 1_000;
    const w = new IntervalWarning(60_000, () => now);
    expect(w.due()).toBe(true);
    now += 59_999;
    expect(w.due()).toBe(false);
    now += 1;
    expect(w.due()).toBe(true);
    now += 10;
    expect(w.due()).toBe(false);
    w.reset();
    expect(w.due()).toBe(true);
  });
});

describe('redisAddress', () => {
  it('names host and port, never the password', () => {
    expect(redisAddress('redis://:hunter2@cache.internal:6380/0')).toBe('cache.internal:6380');
    expect(redisAddress('rediss://user:pw@cache')).toBe('cache:6379');
  });
});
