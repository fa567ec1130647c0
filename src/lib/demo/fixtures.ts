/**
 * The bundled demo team: two reps with 20 stops each on the given day, a supervisor, and 200
 * accounts. Generated from a fixed seed, so every device and every run gets the same data.
 */
import type { Address, Contact, TimeWindow } from '../domain/types';

export interface DemoPerson {
  name: string;
  displayName: string;
  role: 'rep' | 'supervisor';
}

export interface DemoAccount {
  key: string;
  owner: string;
  name: string;
  address: Address;
  geo: { lat: number; lng: number };
  phone: string;
  contacts: Contact[];
  info?: string;
}

export interface DemoStop {
  key: string;
  assignee: string;
  seq: number;
  accountKey: string;
  window: TimeWindow;
  purpose: string;
  tasks: string[];
}

export const DEMO_REPS: DemoPerson[] = [
  { name: 'ana', displayName: 'Ana Ortiz', role: 'rep' },
  { name: 'ben', displayName: 'Ben Okafor', role: 'rep' },
];
export const DEMO_SUPERVISOR: DemoPerson = {
  name: 'sam',
  displayName: 'Sam Lindqvist',
  role: 'supervisor',
};

export const DEMO_ACCOUNT_COUNT = 200;
export const DEMO_STOPS_PER_REP = 20;

const PREFIXES = [
  'North',
  'Lakeside',
  'Harbor',
  'Granite',
  'Maple',
  'Summit',
  'Riverbend',
  'Old Mill',
  'Cedar',
  'Bayview',
];
const KINDS = [
  'Hardware',
  'Pharmacy',
  'Grocers',
  'Auto Parts',
  'Cafe',
  'Garden Center',
  'Clinic',
  'Bakery',
  'Farm Supply',
  'Diner',
];
const STREETS = [
  'Main St',
  'Oak Ave',
  'Station Rd',
  'Mill Ln',
  'Church St',
  'Market Sq',
  'Bridge St',
  'Elm Dr',
  'High St',
  'Quarry Rd',
];
const CITIES = [
  { city: 'Fairview', postalCode: '40110', lat: 38.2, lng: -85.7 },
  { city: 'Brookfield', postalCode: '40220', lat: 38.25, lng: -85.6 },
  { city: 'Milton', postalCode: '40330', lat: 38.1, lng: -85.8 },
  { city: 'Clayton', postalCode: '40440', lat: 38.3, lng: -85.9 },
];
const FIRST = [
  'Maria',
  'James',
  'Priya',
  'Tom',
  'Aisha',
  'Luis',
  'Grace',
  'Omar',
  'Hannah',
  'Victor',
];
const LAST = ['Brennan', 'Castillo', 'Nguyen', 'Walsh', 'Haddad', 'Kowalski', 'Adeyemi', 'Moreau'];
const ROLES = ['Owner', 'Store manager', 'Buyer', 'Receiving'];
const PURPOSES = [
  'Restock visit',
  'Quarterly review',
  'Delivery',
  'Display setup',
  'Service check',
  'New product intro',
];
const TASKS = [
  'Count shelf stock',
  'Photograph the display',
  'Collect signed delivery note',
  'Check expiry dates',
  'Ask about next order',
  'Replace price labels',
  'Remove damaged items',
];
const INFO = [
  'Deliveries at the back door before 10:00.',
  'Ask for the manager at the counter.',
  'Parking behind the building.',
  undefined,
  undefined,
];

/** A small seeded PRNG (mulberry32): same seed, same sequence. */
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  return { next, pick };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const clockTime = (minutes: number) =>
  `${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}`;

/** The 200 demo accounts; the first half belong to the first rep's territory, the rest to the second's. */
export function demoAccounts(): DemoAccount[] {
  const rnd = seeded(2026);
  return Array.from({ length: DEMO_ACCOUNT_COUNT }, (_, i) => {
    const place = CITIES[i % CITIES.length];
    const contactCount = 1 + Math.floor(rnd.next() * 2);
    return {
      key: `demo-${pad(i + 1, 3)}`,
      owner: DEMO_REPS[i < DEMO_ACCOUNT_COUNT / 2 ? 0 : 1].name,
      name: `${rnd.pick(PREFIXES)} ${rnd.pick(KINDS)} #${i + 1}`,
      address: {
        street: `${10 + Math.floor(rnd.next() * 980)} ${rnd.pick(STREETS)}`,
        city: place.city,
        postalCode: place.postalCode,
        country: 'US',
      },
      geo: {
        lat: Math.round((place.lat + (rnd.next() - 0.5) * 0.1) * 1e5) / 1e5,
        lng: Math.round((place.lng + (rnd.next() - 0.5) * 0.1) * 1e5) / 1e5,
      },
      phone: `+1 502 555 ${pad(1000 + i, 4)}`,
      contacts: Array.from({ length: contactCount }, () => ({
        name: `${rnd.pick(FIRST)} ${rnd.pick(LAST)}`,
        role: rnd.pick(ROLES),
      })),
      info: rnd.pick(INFO),
    };
  });
}

/** Each rep's 20 stops for a day: staggered one-hour windows from 08:00, 1-3 tasks each. */
export function demoStops(): DemoStop[] {
  const rnd = seeded(7);
  const perRep = DEMO_ACCOUNT_COUNT / DEMO_REPS.length;
  return DEMO_REPS.flatMap((rep, r) =>
    Array.from({ length: DEMO_STOPS_PER_REP }, (_, i) => {
      const start = 8 * 60 + i * 25;
      const taskCount = 1 + Math.floor(rnd.next() * 3);
      const first = Math.floor(rnd.next() * TASKS.length);
      return {
        key: `${rep.name}-${pad(i + 1, 2)}`,
        assignee: rep.name,
        seq: i + 1,
        accountKey: `demo-${pad(r * perRep + i * 5 + 1, 3)}`,
        window: { start: clockTime(start), end: clockTime(start + 60) },
        purpose: rnd.pick(PURPOSES),
        tasks: Array.from({ length: taskCount }, (_, k) => TASKS[(first + k) % TASKS.length]),
      };
    }),
  );
}
