/**
 * On AWS, secrets live in Secrets Manager and the function receives only their ARNs:
 * `JWT_SECRET_ARN` (a plain string secret) and `DB_SECRET_ARN` / `LDAP_SECRET_ARN` (JSON
 * secrets whose keys are the variable names they provide, e.g. {"VMAIL_DB_URL": "mysql://…"}).
 * They are fetched once per container. The SDK is provided by the Lambda runtime, so the
 * bundle marks it external and it is loaded only when an ARN is configured.
 */
type Env = Record<string, string | undefined>;

const ARN_VARIABLES = ['JWT_SECRET_ARN', 'DB_SECRET_ARN', 'LDAP_SECRET_ARN'] as const;

export async function resolveSecrets(env: Env): Promise<Env> {
  const arns = ARN_VARIABLES.filter((name) => env[name]);
  if (arns.length === 0) return env;
  const sdk = await import('@aws-sdk/client-secrets-manager');
  const client = new sdk.SecretsManagerClient({});
  const resolved: Env = { ...env };
  await Promise.all(
    arns.map(async (name) => {
      const out = await client.send(new sdk.GetSecretValueCommand({ SecretId: env[name] }));
      const text = out.SecretString ?? '';
      if (name === 'JWT_SECRET_ARN') {
        resolved.JWT_SECRET = text;
        return;
      }
      const values = JSON.parse(text) as Record<string, unknown>;
      for (const [key, value] of Object.entries(values)) {
        if (typeof value === 'string') resolved[key] = value;
      }
    }),
  );
  return resolved;
}
