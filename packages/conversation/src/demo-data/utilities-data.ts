/**
 * The utilities demo data set (electricity and gas, UK postcodes, GBP). Read-only: tools keep their
 * own state (reported outages, booked visits) per registry.
 */

/** A customer's utility account. */
export interface DemoAccount {
  readonly accountNumber: string;
  readonly customerId: string;
  readonly holder: string;
  readonly address: string;
  readonly postcode: string;
  readonly services: readonly ('electricity' | 'gas')[];
  readonly tariff: string;
  readonly balance: number;
  readonly paymentMethod: 'direct_debit' | 'card' | 'bank_transfer';
}

/** One bill of an account. */
export interface DemoBill {
  readonly billId: string;
  readonly accountNumber: string;
  readonly period: string;
  readonly issuedOn: string;
  readonly dueOn: string;
  readonly amount: number;
  readonly status: 'paid' | 'due' | 'overdue';
  readonly lines: readonly { readonly label: string; readonly amount: number }[];
}

/** A known outage in a postcode district. */
export interface DemoOutage {
  readonly outageId: string;
  /** The postcode district (outward code), e.g. `LS6`. */
  readonly district: string;
  readonly service: 'electricity' | 'gas';
  readonly status: 'investigating' | 'crew_dispatched' | 'restoring';
  readonly cause: string;
  readonly startedAt: string;
  readonly estimatedRestorationAt: string;
  readonly affectedPremises: number;
}

/** Monthly consumption of an account. */
export interface DemoUsage {
  readonly accountNumber: string;
  readonly months: readonly {
    readonly month: string;
    readonly electricityKwh: number;
    readonly gasKwh: number;
    readonly estimated: boolean;
  }[];
}

/** The demo utility accounts. */
export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  {
    accountNumber: '4001234567',
    customerId: 'cust-utilities-1',
    holder: 'Priya Sharma',
    address: '14 Cardigan Road, Leeds',
    postcode: 'LS6 1LF',
    services: ['electricity', 'gas'],
    tariff: 'Fixed Saver 12M',
    balance: 86.4,
    paymentMethod: 'direct_debit',
  },
  {
    accountNumber: '4009876543',
    customerId: 'cust-utilities-2',
    holder: 'Tom Okafor',
    address: '3 Mill Lane, Bristol',
    postcode: 'BS1 6QA',
    services: ['electricity'],
    tariff: 'Standard Variable',
    balance: 212.75,
    paymentMethod: 'card',
  },
];

/** The demo bills (latest first per account). */
export const DEMO_BILLS: readonly DemoBill[] = [
  {
    billId: 'BILL-2025-06-4001234567',
    accountNumber: '4001234567',
    period: '2025-05',
    issuedOn: '2025-06-03',
    dueOn: '2025-06-17',
    amount: 86.4,
    status: 'due',
    lines: [
      { label: 'Electricity 240 kWh', amount: 58.1 },
      { label: 'Gas 410 kWh', amount: 21.3 },
      { label: 'Standing charges', amount: 7.0 },
    ],
  },
  {
    billId: 'BILL-2025-05-4001234567',
    accountNumber: '4001234567',
    period: '2025-04',
    issuedOn: '2025-05-03',
    dueOn: '2025-05-17',
    amount: 94.2,
    status: 'paid',
    lines: [
      { label: 'Electricity 255 kWh', amount: 61.7 },
      { label: 'Gas 520 kWh', amount: 25.5 },
      { label: 'Standing charges', amount: 7.0 },
    ],
  },
  {
    billId: 'BILL-2025-06-4009876543',
    accountNumber: '4009876543',
    period: '2025-05',
    issuedOn: '2025-06-02',
    dueOn: '2025-06-16',
    amount: 212.75,
    status: 'overdue',
    lines: [
      { label: 'Electricity 610 kWh (estimated)', amount: 205.75 },
      { label: 'Standing charges', amount: 7.0 },
    ],
  },
];

/** The demo outages, by postcode district. */
export const DEMO_OUTAGES: readonly DemoOutage[] = [
  {
    outageId: 'OUT-7781',
    district: 'LS6',
    service: 'electricity',
    status: 'crew_dispatched',
    cause: 'Underground cable fault',
    startedAt: '2025-06-10T07:40:00Z',
    estimatedRestorationAt: '2025-06-10T13:00:00Z',
    affectedPremises: 1240,
  },
  {
    outageId: 'OUT-7790',
    district: 'M14',
    service: 'gas',
    status: 'investigating',
    cause: 'Low pressure reported in the area',
    startedAt: '2025-06-10T09:15:00Z',
    estimatedRestorationAt: '2025-06-10T18:00:00Z',
    affectedPremises: 310,
  },
];

/** The demo consumption history. */
export const DEMO_USAGE: readonly DemoUsage[] = [
  {
    accountNumber: '4001234567',
    months: [
      { month: '2025-03', electricityKwh: 270, gasKwh: 690, estimated: false },
      { month: '2025-04', electricityKwh: 255, gasKwh: 520, estimated: false },
      { month: '2025-05', electricityKwh: 240, gasKwh: 410, estimated: false },
    ],
  },
  {
    accountNumber: '4009876543',
    months: [
      { month: '2025-03', electricityKwh: 300, gasKwh: 0, estimated: false },
      { month: '2025-04', electricityKwh: 310, gasKwh: 0, estimated: true },
      { month: '2025-05', electricityKwh: 610, gasKwh: 0, estimated: true },
    ],
  },
];
