import type { Router } from '@devicegate/emulators/kit';
import { validationError, type IzumaRoutes } from './izuma.routes.js';
import { iamTime } from './izuma.views.js';

/** The IAM account of the API key (`/v3/accounts/me`). */
export function izumaAccountRoutes(router: Router, routes: IzumaRoutes): void {
  const { credentials, checked } = routes;
  router
    .get(
      '/v3/accounts/me/?',
      checked((req, ctx) => {
        const include = (req.query.get('include') ?? '').split(',').filter(Boolean);
        const unknown = include.find((item) => !['limits', 'policies', 'sub_accounts'].includes(item));
        if (unknown) return validationError(ctx.requestId, [{ name: 'include', message: `Unsupported include '${unknown}'.` }]);
        return { status: 200, body: accountView(credentials.accountId, include) };
      }),
    );
}

/** `AccountInfo` of the sandbox account (IAM writes times to the second). */
function accountView(accountId: string, include: string[]): Record<string, unknown> {
  const created = Date.UTC(2023, 7, 31, 8, 12, 44);
  const updated = Date.UTC(2024, 10, 4, 14, 2, 51);
  const account: Record<string, unknown> = {
    object: 'account',
    id: accountId,
    display_name: 'Hanseatic Cold Storage (sandbox)',
    company: 'Hanseatic Cold Storage GmbH',
    contact: 'Facilities Operations',
    email: 'iot-ops@hanseatic-cold.example',
    phone_number: '+49 40 5550 1820',
    address_line1: 'Am Kaltlager 12',
    address_line2: '',
    city: 'Hamburg',
    state: '',
    postal_code: '21129',
    country: 'Germany',
    status: 'ACTIVE',
    tier: '1',
    end_market: 'Logistics',
    business_model: 'active_device_business_model',
    mfa_status: 'optional',
    idle_timeout: 30,
    password_recovery_expiration: 30,
    aliases: [],
    parent_id: null,
    custom_fields: {},
    notification_emails: [],
    password_policy: { minimum_length: 8 },
    created_at: iamTime(created),
    updated_at: iamTime(updated),
    upgraded_at: iamTime(created + 86_400_000),
    etag: '7',
  };
  if (include.includes('limits')) account.limits = { iam_limit_user_count: '100', iam_limit_apikey_count: '250', mds_device_count: '10000' };
  if (include.includes('policies')) account.policies = [];
  if (include.includes('sub_accounts')) account.sub_accounts = [];
  return account;
}
