import { describe, expect, it } from 'vitest';
import {
  createSignInLimiter,
  DEFAULT_SIGN_IN_LIMITS,
  sessionName,
  tooManySignIns,
} from '../../src/lib/server/sign-in-limiter';

/** A limiter on a clock the test moves by hand. */
function limiterAt(start = 1_000_000) {
  let now = start;
  const limiter = createSignInLimiter({ now: () => now });
  return { limiter, advance: (ms: number) => (now += ms) };
}

/** `n` failures of `name` from `address`, each taken only once allowed (time moves as needed). */
function failTimes(
  t: ReturnType<typeof limiterAt>,
  n: number,
  name: string,
  address: string,
): number[] {
  const waits: number[] = [];
  for (let i = 0; i < n; i++) {
    const wait = t.limiter.waitMs(name, address);
    waits.push(wait);
    t.advance(wait);
    t.limiter.failed(name, address);
  }
  return waits;
}

describe('sign-in limiter', () => {
  it('5 free failures per name, then waits of 1 s doubling up to 30 s', () => {
    const t = limiterAt();
    const waits = failTimes(t, 12, 'ana', '10.0.0.1');
    expect(waits).toEqual([0, 0, 0, 0, 0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(t.limiter.waitMs('ana', '10.0.0.1')).toBe(30_000);
  });

  it('an attempt during the wait is not counted: hammering does not lengthen it', () => {
    const t = limiterAt();
    failTimes(t, 5, 'ana', '10.0.0.1');
    expect(t.limiter.waitMs('ana', '10.0.0.1')).toBe(1000);
    t.advance(400);
    for (let i = 0; i < 50; i++) expect(t.limiter.waitMs('ana', '10.0.0.1')).toBe(600);
    t.advance(600);
    expect(t.limiter.waitMs('ana', '10.0.0.1')).toBe(0);
  });

  it('names are counted without case or surrounding spaces', () => {
    const t = limiterAt();
    failTimes(t, 5, 'Ana ', '10.0.0.1');
    expect(t.limiter.waitMs('ana', '10.0.0.2')).toBe(1000);
  });

  it('a success clears the name: the right password after the wait starts afresh', () => {
    const t = limiterAt();
    failTimes(t, 8, 'ana', '10.0.0.1');
    t.advance(t.limiter.waitMs('ana', '10.0.0.1'));
    t.limiter.succeeded('ana', '10.0.0.1');
    expect(t.limiter.waitMs('ana', '10.0.0.2')).toBe(0);
    expect(failTimes(t, 5, 'ana', '10.0.0.2')).toEqual([0, 0, 0, 0, 0]);
  });

  it('one name hammered from many addresses: the wait stays <= 30 s, and her own address is never held', () => {
    const t = limiterAt();
    t.limiter.succeeded('ana', 'home'); // her device signed in from here before
    for (let i = 0; i < 500; i++) {
      const address = `203.0.113.${i % 250}`;
      const wait = t.limiter.waitMs('ana', address);
      expect(wait).toBeLessThanOrEqual(DEFAULT_SIGN_IN_LIMITS.maxDelayPerNameMs);
      t.advance(wait);
      t.limiter.failed('ana', address);
      expect(t.limiter.waitMs('ana', 'home')).toBe(0);
    }
    // A new device of hers, from a new address, waits at most the short cap.
    expect(t.limiter.waitMs('ana', 'cafe')).toBeLessThanOrEqual(30_000);
    t.advance(30_000);
    expect(t.limiter.waitMs('ana', 'cafe')).toBe(0);
  });

  it('her own typos at her trusted address are still slowed', () => {
    const t = limiterAt();
    t.limiter.succeeded('ana', 'home');
    expect(failTimes(t, 7, 'ana', 'home')).toEqual([0, 0, 0, 0, 0, 1000, 2000]);
  });

  it('one address hammering many names is slowed (20 free, doubling up to 5 min); others are not', () => {
    const t = limiterAt();
    const waits: number[] = [];
    for (let i = 0; i < 32; i++) {
      const wait = t.limiter.waitMs(`user${i}`, '198.51.100.7');
      waits.push(wait);
      t.advance(wait);
      t.limiter.failed(`user${i}`, '198.51.100.7');
    }
    expect(waits.slice(0, 20)).toEqual(Array(20).fill(0));
    expect(waits.slice(20, 24)).toEqual([1000, 2000, 4000, 8000]);
    expect(waits.slice(-2)).toEqual([300_000, 300_000]);
    expect(t.limiter.waitMs('someone', '198.51.100.8')).toBe(0);
    // A person who signed in from that address before (a shared office NAT) is not held.
    const t2 = limiterAt();
    t2.limiter.succeeded('ben', '198.51.100.7');
    for (let i = 0; i < 40; i++) t2.limiter.failed(`user${i}`, '198.51.100.7');
    expect(t2.limiter.waitMs('ben', '198.51.100.7')).toBe(0);
  });

  it('counts are forgotten 15 min after the last failure', () => {
    const t = limiterAt();
    failTimes(t, 10, 'ana', '10.0.0.1');
    t.advance(DEFAULT_SIGN_IN_LIMITS.forgetAfterMs);
    expect(t.limiter.waitMs('ana', '10.0.0.1')).toBe(0);
    expect(failTimes(t, 5, 'ana', '10.0.0.1')).toEqual([0, 0, 0, 0, 0]);
  });

  it('memory stays bounded: at most maxEntries per table, the least recently touched go first', () => {
    let now = 0;
    const limiter = createSignInLimiter({ now: () => now, limits: { maxEntries: 100 } });
    for (let i = 0; i < 5000; i++) {
      limiter.failed(`name${i}`, `addr${i}`);
      limiter.succeeded(`ok${i}`, `addr${i}`);
      now += 1;
    }
    expect(limiter.entries()).toBeLessThanOrEqual(4 * 100);
    // The most recent ones are still there.
    for (let i = 0; i < 4; i++) limiter.failed('name4999', 'addr4999');
    expect(limiter.waitMs('name4999', 'addr-other')).toBe(1000);
  });
});

describe('sessionName', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  it('reads the name of a JSON or a form body, and nothing from anything else', () => {
    expect(sessionName(bytes('{"name":"ana","password":"x"}'), 'application/json')).toBe('ana');
    expect(sessionName(bytes('name=ana%20b&password=x'), 'application/x-www-form-urlencoded')).toBe(
      'ana b',
    );
    expect(sessionName(bytes('{"name":'), 'application/json')).toBe('');
    expect(sessionName(bytes('{"name":5}'), 'application/json')).toBe('');
    expect(sessionName(bytes('null'), undefined)).toBe('');
    expect(sessionName(bytes(''), undefined)).toBe('');
  });
});

describe('tooManySignIns', () => {
  it('rounds the wait up to whole seconds, in words and in Retry-After', () => {
    expect(tooManySignIns(1)).toEqual({
      retryAfterSeconds: 1,
      body: {
        error: 'too_many_requests',
        reason: 'Too many failed sign-ins. Try again in 1 second.',
      },
    });
    expect(tooManySignIns(29_001).retryAfterSeconds).toBe(30);
    expect(tooManySignIns(29_001).body.reason).toBe(
      'Too many failed sign-ins. Try again in 30 seconds.',
    );
  });
});
