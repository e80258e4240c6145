/**
 * The e-commerce demo data set (USD). Read-only: tools keep their own state (returns, refunds,
 * cancellations) per registry.
 */

/** One line of an order. */
export interface DemoOrderLine {
  readonly sku: string;
  readonly name: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

/** A demo order. */
export interface DemoOrder {
  readonly orderId: string;
  readonly customerId: string;
  /** The postcode the order is delivered to (what a knowledge check asks for). */
  readonly deliveryPostcode: string;
  readonly placedAt: string;
  readonly status: 'processing' | 'shipped' | 'delivered';
  readonly lines: readonly DemoOrderLine[];
  readonly total: number;
  readonly carrier?: string;
  readonly trackingNumber?: string;
  readonly estimatedDelivery?: string;
  readonly deliveredAt?: string;
  /** Tracking events, oldest first. */
  readonly trackingEvents: readonly { readonly at: string; readonly description: string }[];
}

/** A product the recommendations tool can suggest. */
export interface DemoProduct {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  readonly price: number;
  readonly tags: readonly string[];
}

/** The demo orders. */
export const DEMO_ORDERS: readonly DemoOrder[] = [
  {
    orderId: 'ORD-10042',
    customerId: 'cust-shop-1',
    deliveryPostcode: 'SW1A 1AA',
    placedAt: '2025-06-01T10:12:00Z',
    status: 'delivered',
    lines: [
      { sku: 'HP-200', name: 'Aria wireless headphones', quantity: 1, unitPrice: 129.0 },
      { sku: 'CB-USB-C', name: 'USB-C cable 2 m', quantity: 2, unitPrice: 9.5 },
    ],
    total: 148.0,
    carrier: 'UPS',
    trackingNumber: '1Z999AA10123456784',
    deliveredAt: '2025-06-04T15:30:00Z',
    trackingEvents: [
      { at: '2025-06-02T08:00:00Z', description: 'Shipped from Reno, NV' },
      { at: '2025-06-04T15:30:00Z', description: 'Delivered, left at front door' },
    ],
  },
  {
    orderId: 'ORD-10057',
    customerId: 'cust-shop-1',
    deliveryPostcode: 'SW1A 1AA',
    placedAt: '2025-06-08T19:45:00Z',
    status: 'shipped',
    lines: [{ sku: 'SW-FIT3', name: 'Pulse fitness watch', quantity: 1, unitPrice: 199.0 }],
    total: 199.0,
    carrier: 'FedEx',
    trackingNumber: '612999AA10123',
    estimatedDelivery: '2025-06-12',
    trackingEvents: [
      { at: '2025-06-09T07:10:00Z', description: 'Shipped from Columbus, OH' },
      { at: '2025-06-10T05:55:00Z', description: 'In transit, arrived at Seattle hub' },
    ],
  },
  {
    orderId: 'ORD-10063',
    customerId: 'cust-shop-2',
    deliveryPostcode: 'M1 1AE',
    placedAt: '2025-06-10T08:20:00Z',
    status: 'processing',
    lines: [
      { sku: 'KB-MX', name: 'Loom mechanical keyboard', quantity: 1, unitPrice: 89.0 },
      { sku: 'MS-ERG', name: 'Ergo mouse', quantity: 1, unitPrice: 49.0 },
    ],
    total: 138.0,
    trackingEvents: [],
  },
];

/** The demo product catalogue. */
export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  {
    sku: 'HP-200',
    name: 'Aria wireless headphones',
    category: 'audio',
    price: 129.0,
    tags: ['music', 'travel'],
  },
  {
    sku: 'HP-50',
    name: 'Aria Lite earbuds',
    category: 'audio',
    price: 59.0,
    tags: ['music', 'running', 'budget'],
  },
  {
    sku: 'SP-MINI',
    name: 'Cube mini speaker',
    category: 'audio',
    price: 39.0,
    tags: ['music', 'gift', 'budget'],
  },
  {
    sku: 'SW-FIT3',
    name: 'Pulse fitness watch',
    category: 'wearables',
    price: 199.0,
    tags: ['running', 'fitness'],
  },
  {
    sku: 'SW-BAND',
    name: 'Pulse band',
    category: 'wearables',
    price: 49.0,
    tags: ['fitness', 'budget', 'gift'],
  },
  {
    sku: 'KB-MX',
    name: 'Loom mechanical keyboard',
    category: 'computing',
    price: 89.0,
    tags: ['gaming', 'office'],
  },
  { sku: 'MS-ERG', name: 'Ergo mouse', category: 'computing', price: 49.0, tags: ['office'] },
  { sku: 'CB-USB-C', name: 'USB-C cable 2 m', category: 'accessories', price: 9.5, tags: ['budget'] },
  {
    sku: 'PB-10K',
    name: 'Volt power bank 10000 mAh',
    category: 'accessories',
    price: 35.0,
    tags: ['travel', 'gift'],
  },
];

/** Days after delivery a return may be started. */
export const RETURN_WINDOW_DAYS = 30;
