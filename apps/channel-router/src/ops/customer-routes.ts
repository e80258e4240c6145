import { InvalidIdentityError, InvalidPhoneError } from '@omni/customer-context';
import { badRequest, fieldIssuesFromZod, HttpProblem } from '@omni/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  type CustomerErasureJob,
  type ErasureReport,
  UnknownCustomerError,
} from '../privacy/customer-erasure-job.js';
import { type CustomerExportPorts, exportCustomer } from '../privacy/customer-export.js';
import type { OpsCredentialCheck } from './auth.js';

/** What the customer privacy routes need. */
export interface CustomerPrivacyDeps extends CustomerExportPorts {
  erasure: Pick<CustomerErasureJob, 'erase'>;
  /** The customer an identity belongs to (reads only); undefined when none. */
  customerOf(identity: {
    kind: 'phone' | 'webchat' | 'whatsapp-bsuid';
    value: string;
  }): Promise<string | undefined>;
  /**
   * The stricter check erasure passes on top of the ops API's (e.g. the `Omni.Privacy` app role for Entra
   * tokens); absent: the ops API's check alone.
   */
  eraseAuth?: OpsCredentialCheck;
  /** Epoch ms; default `Date.now`. */
  clock?: () => number;
}

const customerIdParams = z.object({ customerId: z.string().min(1).max(256) });
const lookupQuery = z
  .object({
    phone: z.string().min(3).max(32).optional(),
    webchat: z.string().min(1).max(256).optional(),
    bsuid: z.string().min(1).max(256).optional(),
  })
  .refine((q) => [q.phone, q.webchat, q.bsuid].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of phone, webchat, bsuid',
  });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(`Invalid ${what}.`, fieldIssuesFromZod(result.error));
  return result.data;
}

/** How a request authenticated, for the audit record (never who the customer is). */
function authMethodOf(request: FastifyRequest): string {
  return /^Bearer\s/i.test(request.headers.authorization ?? '') ? 'entra' : 'api-key';
}

/**
 * The ops API's customer privacy routes (under `/api`, behind its auth): find a customer by identity, export
 * everything held about a customer, and erase a customer (a resumable job; see the README's Privacy section).
 */
export function customerPrivacyRoutes(deps: CustomerPrivacyDeps) {
  const clock = deps.clock ?? Date.now;
  return async (api: FastifyInstance) => {
    api.get('/customers', async (request) => {
      const query = parse(lookupQuery, request.query, 'customer lookup');
      const identity =
        query.phone !== undefined
          ? { kind: 'phone' as const, value: query.phone }
          : query.webchat !== undefined
            ? { kind: 'webchat' as const, value: query.webchat }
            : { kind: 'whatsapp-bsuid' as const, value: query.bsuid ?? '' };
      let customerId: string | undefined;
      try {
        customerId = await deps.customerOf(identity);
      } catch (error) {
        if (error instanceof InvalidPhoneError || error instanceof InvalidIdentityError) {
          throw badRequest('Invalid identity.', [{ path: identity.kind, message: 'not a valid identity' }]);
        }
        throw error;
      }
      if (customerId === undefined)
        throw new HttpProblem(404, 'Not Found', { detail: 'No customer with that identity.' });
      return { customerId };
    });

    api.get('/customers/:customerId/export', async (request) => {
      const { customerId } = parse(customerIdParams, request.params, 'customer id');
      const exported = await exportCustomer(deps, customerId, new Date(clock()));
      if (exported === undefined) {
        throw new HttpProblem(404, 'Not Found', { detail: `Nothing is held about customer ${customerId}.` });
      }
      request.log.info({ customerId: exported.customerId }, 'customer export');
      return exported;
    });

    api.delete('/customers/:customerId', async (request): Promise<{ erasure: ErasureReport }> => {
      if (deps.eraseAuth !== undefined) await deps.eraseAuth(request);
      const { customerId } = parse(customerIdParams, request.params, 'customer id');
      try {
        const erasure = await deps.erasure.erase(customerId, authMethodOf(request));
        request.log.info({ erasureId: erasure.id, runs: erasure.runs }, 'customer erased');
        return { erasure };
      } catch (error) {
        if (error instanceof UnknownCustomerError) {
          throw new HttpProblem(404, 'Not Found', { detail: `No customer ${customerId}.` });
        }
        request.log.warn({ err: error }, 'customer erasure interrupted; it resumes');
        throw new HttpProblem(503, 'Service Unavailable', {
          detail:
            'The erasure was interrupted; it is recorded and resumes automatically (or repeat the request).',
          headers: { 'retry-after': '60' },
        });
      }
    });
  };
}
