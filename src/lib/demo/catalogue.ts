/**
 * The demo product catalogue: 60 wholesale products in six categories, priced in US cents.
 * Tax follows a Kentucky-style rule: groceries are exempt (0 %), everything else (candy, soft
 * drinks, household goods) carries 6 % sales tax. One product is discontinued (inactive).
 */
import { makeId } from '../domain/ids';
import type { ProductDoc } from '../domain/order';
import { stampNew, type WriteStamp } from '../domain/stamp';

/** Tax rates of the demo catalogue, in basis points. */
export const DEMO_TAX = { exempt: 0, standard: 600 } as const;

type Row = [sku: string, name: string, unit: string, price: number, taxed: boolean];

const CATEGORIES: Record<string, Row[]> = {
  Beverages: [
    ['BEV-1001', 'Spring Water 16.9 oz', 'case of 24', 599, true],
    ['BEV-1002', 'Sparkling Water Lime 12 oz', 'case of 24', 899, true],
    ['BEV-1003', 'Cola Classic 12 oz Cans', 'case of 24', 1249, true],
    ['BEV-1004', 'Diet Cola 12 oz Cans', 'case of 24', 1249, true],
    ['BEV-1005', 'Lemon-Lime Soda 2 l', 'case of 8', 1099, true],
    ['BEV-1006', 'Sweet Tea Gallon', 'case of 4', 1196, true],
    ['BEV-1007', 'Orange Juice 52 oz', 'case of 6', 2154, false],
    ['BEV-1008', 'Café Bustelo Espresso Ground 10 oz', 'case of 12', 5388, false],
    ['BEV-1009', 'Cold Brew Coffee 11 oz', 'case of 12', 3468, true],
    ['BEV-1010', 'Sports Drink Fruit Punch 28 oz', 'case of 15', 1785, true],
    ['BEV-1011', 'Piña Colada Mixer 1 l', 'case of 12', 3588, true],
  ],
  Snacks: [
    ['SNK-2001', 'Jalapeño Kettle Chips 8 oz', 'case of 12', 3588, false],
    ['SNK-2002', 'Sea Salt Potato Chips 8 oz', 'case of 12', 3348, false],
    ['SNK-2003', 'Pretzel Twists 16 oz', 'case of 12', 3108, false],
    ['SNK-2004', 'Salted Peanuts 16 oz', 'case of 12', 4188, false],
    ['SNK-2005', 'Trail Mix 26 oz', 'case of 6', 4794, false],
    ['SNK-2006', 'Milk Chocolate Bar 1.55 oz', 'box of 36', 3564, true],
    ['SNK-2007', 'Peanut Butter Cups 1.5 oz', 'box of 36', 3672, true],
    ['SNK-2008', 'Gummy Bears 5 oz', 'case of 12', 1788, true],
    ['SNK-2009', 'Beef Jerky Original 2.85 oz', 'case of 8', 4392, false],
    ['SNK-2010', 'Granola Bars Oats & Honey', 'case of 12', 4068, false],
  ],
  Pantry: [
    ['PAN-3001', 'Long Grain Rice 10 lb', 'each', 899, false],
    ['PAN-3002', 'Spaghetti 1 lb', 'case of 20', 2380, false],
    ['PAN-3003', 'Marinara Sauce 24 oz', 'case of 12', 3468, false],
    ['PAN-3004', 'All-Purpose Flour 25 lb', 'each', 1299, false],
    ['PAN-3005', 'Granulated Sugar 10 lb', 'each', 899, false],
    ['PAN-3006', 'Canola Oil 1 gal', 'case of 6', 5394, false],
    ['PAN-3007', 'Black Beans 15.5 oz', 'case of 24', 2376, false],
    ['PAN-3008', 'Crème Fraîche Dressing 16 oz', 'case of 6', 2694, false],
    ['PAN-3009', 'Peanut Butter Creamy 40 oz', 'case of 6', 4194, false],
    ['PAN-3010', 'Chicken Noodle Soup 10.75 oz', 'case of 24', 3336, false],
  ],
  Dairy: [
    ['DRY-4001', 'Whole Milk 1 gal', 'case of 4', 1596, false],
    ['DRY-4002', '2% Reduced Fat Milk 1 gal', 'case of 4', 1556, false],
    ['DRY-4003', 'Large Eggs Grade A', '15 dozen', 3299, false],
    ['DRY-4004', 'Salted Butter 1 lb', 'case of 18', 8082, false],
    ['DRY-4005', 'Cheddar Cheese Block 2 lb', 'case of 6', 5394, false],
    ['DRY-4006', 'Greek Yogurt Plain 32 oz', 'case of 6', 3594, false],
    ['DRY-4007', 'Gruyère Slices 7 oz', 'case of 12', 6588, false],
    ['DRY-4008', 'Vanilla Ice Cream 1.5 qt', 'case of 6', 3294, true],
    ['DRY-4009', 'Sour Cream 16 oz', 'case of 12', 2628, false],
  ],
  Cleaning: [
    ['CLN-5001', 'Glass Cleaner 32 oz', 'case of 12', 3588, true],
    ['CLN-5002', 'All-Purpose Cleaner Lemon 32 oz', 'case of 12', 3828, true],
    ['CLN-5003', 'Bleach Regular 121 oz', 'case of 3', 1797, true],
    ['CLN-5004', 'Dish Soap 38 oz', 'case of 8', 3192, true],
    ['CLN-5005', 'Laundry Detergent 92 oz', 'case of 4', 4796, true],
    ['CLN-5006', 'Floor Cleaner Pine 1 gal', 'case of 4', 3596, true],
    ['CLN-5007', 'Disinfecting Wipes 75 ct', 'case of 6', 3894, true],
    ['CLN-5008', 'Trash Bags 33 gal', 'box of 100', 2899, true],
    ['CLN-5009', 'Scouring Pads', 'pack of 24', 1499, true],
    ['CLN-5010', 'Ammonia Cleaner 64 oz', 'case of 8', 2792, true],
  ],
  Paper: [
    ['PAP-6001', 'Paper Towels 2-ply', 'case of 30 rolls', 4599, true],
    ['PAP-6002', 'Bath Tissue 2-ply', 'case of 96 rolls', 6999, true],
    ['PAP-6003', 'Napkins 1-ply', 'case of 3000', 3299, true],
    ['PAP-6004', 'Paper Plates 9 in', 'case of 500', 3899, true],
    ['PAP-6005', 'Hot Cups 12 oz', 'case of 1000', 7499, true],
    ['PAP-6006', 'Cup Lids 12 oz', 'case of 1000', 2999, true],
    ['PAP-6007', 'Foam Clamshells 9 in', 'case of 200', 3499, true],
    ['PAP-6008', 'Kraft Bags #12', 'bundle of 500', 2599, true],
    ['PAP-6009', 'Receipt Rolls Thermal', 'case of 50', 4999, true],
    ['PAP-6010', 'Deli Wrap Sheets', 'box of 1000', 2199, true],
  ],
};

/** SKUs of demo products no longer sold (kept for old orders). */
const DISCONTINUED = new Set(['BEV-1004']);

/** A product's own fields, without the document bookkeeping. */
export type DemoProduct = Pick<
  ProductDoc,
  'sku' | 'name' | 'unit' | 'price' | 'taxRate' | 'category' | 'active'
>;

/** The demo catalogue as product fields. */
export function demoProducts(): DemoProduct[] {
  return Object.entries(CATEGORIES).flatMap(([category, rows]) =>
    rows.map(([sku, name, unit, price, taxed]) => ({
      sku,
      name,
      unit,
      price,
      taxRate: taxed ? DEMO_TAX.standard : DEMO_TAX.exempt,
      category,
      active: !DISCONTINUED.has(sku),
    })),
  );
}

/** The demo catalogue as product docs owned by `owner`, stamped by `stamp`. */
export function demoCatalogueDocs(owner: string, stamp: () => WriteStamp): ProductDoc[] {
  return demoProducts().map((p) =>
    stampNew<ProductDoc>('product', makeId('product', p.sku), owner, { ...p }, stamp()),
  );
}
