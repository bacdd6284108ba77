/**
 * Who calls the operator API. In Azure, App Service authentication (Microsoft Entra ID, set up by
 * infra/app/operator-auth.bicep) signs the caller in and passes the identity to the app in the
 * X-MS-CLIENT-PRINCIPAL header: base64 JSON with `claims` [{typ, val}] and `role_typ`, the claim type
 * of app roles (https://learn.microsoft.com/en-us/azure/app-service/configure-authentication-user-identities).
 * The platform strips that header from client requests, so only a signed-in caller has one. Signed
 * in is not enough: the caller must hold the operator app role the Bicep defines. Locally the dev
 * host, bound to 127.0.0.1, stands in for App Service authentication and passes a loopback operator.
 */
export const OPERATOR_ROLE = 'Archive.Operator';
export const PRINCIPAL_HEADER = 'x-ms-client-principal';
const ROLE_CLAIM = 'roles';

export type OperatorCheck = { ok: true; name: string } | { ok: false; status: 401 | 403; reason: string };

interface ClientPrincipal {
  claims?: { typ?: unknown; val?: unknown }[];
  name_typ?: unknown;
  role_typ?: unknown;
}

export function checkOperator(header: string | null | undefined): OperatorCheck {
  if (!header) return { ok: false, status: 401, reason: 'not signed in: the operator API is behind Microsoft Entra ID sign-in (App Service authentication)' };
  let principal: ClientPrincipal;
  try {
    principal = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as ClientPrincipal;
  } catch {
    return { ok: false, status: 401, reason: `the ${PRINCIPAL_HEADER} header is not base64 JSON` };
  }
  const claims = Array.isArray(principal.claims) ? principal.claims : [];
  const roleType = typeof principal.role_typ === 'string' ? principal.role_typ : ROLE_CLAIM;
  const nameType = typeof principal.name_typ === 'string' ? principal.name_typ : 'name';
  const values = (typ: string) => claims.filter((c) => c.typ === typ && typeof c.val === 'string').map((c) => c.val as string);
  const name = values(nameType)[0] ?? values('preferred_username')[0] ?? 'unknown';
  if (![...values(roleType), ...values(ROLE_CLAIM)].includes(OPERATOR_ROLE))
    return { ok: false, status: 403, reason: `${name} does not hold the ${OPERATOR_ROLE} app role (assign it in Entra ID: Enterprise applications)` };
  return { ok: true, name };
}

/** The principal the dev host passes for a loopback caller, shaped as App Service passes one. */
export function loopbackPrincipal(): string {
  const principal = {
    auth_typ: 'loopback',
    name_typ: 'name',
    role_typ: ROLE_CLAIM,
    claims: [
      { typ: 'name', val: 'local operator (127.0.0.1)' },
      { typ: ROLE_CLAIM, val: OPERATOR_ROLE },
    ],
  };
  return Buffer.from(JSON.stringify(principal)).toString('base64');
}
