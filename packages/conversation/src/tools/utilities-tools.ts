import { z } from 'zod';
import {
  DEMO_ACCOUNTS,
  DEMO_BILLS,
  DEMO_OUTAGES,
  DEMO_USAGE,
  type DemoAccount,
} from '../demo-data/utilities-data.js';
import {
  accountNumberOf,
  accountRef,
  isVerificationRequired,
  type VerificationRequired,
  verificationRequired,
} from '../verification.js';
import { type AnyTool, defineTool, type ToolContext } from './tool-registry.js';

const accountNumber = z
  .string()
  .regex(/^\d{10}$/, 'must be a 10-digit account number')
  .describe('The 10-digit account number; omit to use the account of the current customer.');
const postcode = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}$/, 'must be a UK postcode, e.g. LS6 1LF')
  .describe('A full UK postcode, e.g. "LS6 1LF".');

/** The outward code (district) of a UK postcode: `ls61lf` → `LS6`. */
export function postcodeDistrict(value: string): string {
  const compact = value.replace(/\s+/g, '').toUpperCase();
  return compact.slice(0, compact.length - 3);
}

/** Formats a UK postcode as `LS6 1LF`. */
export function formatPostcode(value: string): string {
  const compact = value.replace(/\s+/g, '').toUpperCase();
  return `${compact.slice(0, -3)} ${compact.slice(-3)}`;
}

/**
 * The account a call is about, for this customer only: the account number given (when it is linked to the
 * customer after a verification), or the customer's own linked account. Anything else is a
 * {@link VerificationRequired}: the engine then checks the customer before anything is disclosed.
 */
function findAccount(ctx: ToolContext, number: string | undefined): DemoAccount | VerificationRequired {
  const linked = (ctx.verifiedAccounts ?? []).flatMap((ref) => {
    const n = accountNumberOf(ref);
    return n === undefined ? [] : [n];
  });
  const owned = (a: DemoAccount) => a.customerId === ctx.customerId || linked.includes(a.accountNumber);
  const account =
    number === undefined
      ? DEMO_ACCOUNTS.find(owned)
      : DEMO_ACCOUNTS.find((a) => a.accountNumber === number && owned(a));
  if (account !== undefined) return account;
  return verificationRequired(
    'account_not_linked',
    'channel-verified',
    number === undefined ? undefined : accountRef(number),
  );
}

const isAccount = (value: DemoAccount | VerificationRequired): value is DemoAccount =>
  !isVerificationRequired(value);

/** State the side-effecting utilities tools keep (per registry). */
interface UtilitiesState {
  outageReports: number;
  visits: number;
}

/** The utilities scenario tools over the demo data set. */
export function utilitiesTools(): AnyTool[] {
  const state: UtilitiesState = { outageReports: 0, visits: 0 };
  return [
    defineTool({
      name: 'get_account',
      description:
        'Look up a utility account: holder, supply address, services, tariff, balance and payment method.',
      parameters: z.object({ accountNumber: accountNumber.optional() }),
      sideEffect: false,
      assurance: 'channel-verified',
      async run(args, ctx) {
        return findAccount(ctx, args.accountNumber);
      },
    }),
    defineTool({
      name: 'get_bill',
      description:
        'Get the latest bill of an account (or the bill of a given period, YYYY-MM) with its line items.',
      parameters: z.object({
        accountNumber: accountNumber.optional(),
        period: z
          .string()
          .regex(/^\d{4}-\d{2}$/, 'must be YYYY-MM')
          .optional()
          .describe('The billing period, YYYY-MM; omit for the latest bill.'),
      }),
      sideEffect: false,
      assurance: 'channel-verified',
      async run(args, ctx) {
        const account = findAccount(ctx, args.accountNumber);
        if (!isAccount(account)) return account;
        const bills = DEMO_BILLS.filter((b) => b.accountNumber === account.accountNumber);
        const bill = args.period === undefined ? bills[0] : bills.find((b) => b.period === args.period);
        return (
          bill ?? { error: 'bill_not_found', message: `No bill for period ${args.period ?? '(latest)'}.` }
        );
      },
    }),
    defineTool({
      name: 'check_outage',
      description:
        'Check for a known power or gas outage at a postcode, with cause and estimated restoration time.',
      parameters: z.object({ postcode }),
      sideEffect: false,
      async run(args) {
        const district = postcodeDistrict(args.postcode);
        const outages = DEMO_OUTAGES.filter((o) => o.district === district);
        return {
          postcode: formatPostcode(args.postcode),
          district,
          outages,
          knownOutage: outages.length > 0,
        };
      },
    }),
    defineTool({
      name: 'report_outage',
      description: 'Report a new outage at the customer’s address (creates a fault ticket).',
      parameters: z.object({
        postcode,
        service: z.enum(['electricity', 'gas']),
        description: z.string().trim().min(1).max(500).describe('What the customer sees, in their words.'),
        vulnerableCustomer: z
          .boolean()
          .default(false)
          .describe(
            'Someone at the address depends on powered medical equipment or is otherwise vulnerable.',
          ),
      }),
      sideEffect: true,
      // One fault ticket per customer, supply and postcode a day, however the report is worded.
      idempotencyKey: (args, ctx) =>
        `${ctx.customerId}:${args.service}:${postcodeDistrict(args.postcode)}${args.postcode.replace(/\s+/g, '').slice(-3).toUpperCase()}:${new Date(ctx.clock()).toISOString().slice(0, 10)}`,
      async run(args) {
        state.outageReports += 1;
        const district = postcodeDistrict(args.postcode);
        const known = DEMO_OUTAGES.find((o) => o.district === district && o.service === args.service);
        return {
          ticketId: `FLT-${String(5000 + state.outageReports)}`,
          postcode: formatPostcode(args.postcode),
          service: args.service,
          linkedOutageId: known?.outageId ?? null,
          priority: args.vulnerableCustomer ? 'priority_services_register' : 'standard',
        };
      },
    }),
    defineTool({
      name: 'schedule_service_visit',
      description: 'Book an engineer visit (meter exchange, meter fault, smart meter install, safety check).',
      parameters: z.object({
        accountNumber: accountNumber.optional(),
        reason: z.enum([
          'meter_fault',
          'meter_exchange',
          'smart_meter_install',
          'safety_check',
          'new_connection',
        ]),
        preferredDate: z.iso.date({ message: 'must be a date, YYYY-MM-DD' }),
        slot: z.enum(['am', 'pm']).default('am'),
      }),
      sideEffect: true,
      assurance: 'channel-verified',
      idempotencyKey: (args, ctx) =>
        `${ctx.customerId}:${args.accountNumber ?? 'own'}:${args.reason}:${args.preferredDate}:${args.slot}`,
      async run(args, ctx) {
        const account = findAccount(ctx, args.accountNumber);
        if (!isAccount(account)) return account;
        const today = new Date(ctx.clock()).toISOString().slice(0, 10);
        if (args.preferredDate <= today) {
          return { error: 'date_unavailable', message: 'Visits can be booked from tomorrow onwards.' };
        }
        state.visits += 1;
        return {
          visitId: `VIS-${String(8000 + state.visits)}`,
          accountNumber: account.accountNumber,
          address: account.address,
          reason: args.reason,
          date: args.preferredDate,
          slot: args.slot,
        };
      },
    }),
    defineTool({
      name: 'get_usage',
      description:
        'Get monthly electricity and gas consumption (kWh) for the last few months, marking estimated reads.',
      parameters: z.object({
        accountNumber: accountNumber.optional(),
        months: z.int().min(1).max(12).default(3),
      }),
      sideEffect: false,
      assurance: 'channel-verified',
      async run(args, ctx) {
        const account = findAccount(ctx, args.accountNumber);
        if (!isAccount(account)) return account;
        const usage = DEMO_USAGE.find((u) => u.accountNumber === account.accountNumber);
        return { accountNumber: account.accountNumber, months: (usage?.months ?? []).slice(-args.months) };
      },
    }),
  ] as AnyTool[];
}
