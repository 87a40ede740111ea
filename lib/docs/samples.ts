/**
 * What each route capture (`:name` in routes.ts) means, and a valid sample value for it.
 * The OpenAPI document describes path parameters from here; the sample events (events/),
 * the docs tests and the generated route sweeps build concrete paths from the samples.
 * A capture missing here is still documented and sampled, generically.
 */
export interface CaptureInfo {
  description: string;
  sample: string;
  schema: Record<string, unknown>;
}

export const CAPTURES: Record<string, CaptureInfo> = {
  domain: { description: 'A domain name (case-insensitive).', sample: 'example.com', schema: { type: 'string', format: 'hostname', maxLength: 255 } },
  mail: { description: 'A full e-mail address (case-insensitive).', sample: 'user@example.com', schema: { type: 'string', format: 'email', maxLength: 320 } },
  new_mail: { description: 'The new e-mail address, in the same domain.', sample: 'renamed@example.com', schema: { type: 'string', format: 'email', maxLength: 320 } },
  days: { description: 'Days to keep the removed mailboxes before they are deleted from disk (0 = forever; normal admins at most 365).', sample: '30', schema: { type: 'string', pattern: '^\\d{1,6}$' } },
  account: { description: '`global` (the server-wide setting), a domain, or a full e-mail address.', sample: 'example.com', schema: { type: 'string', maxLength: 320 } },
  direction: { description: '`inbound` (mail to the account) or `outbound` (mail sent by it).', sample: 'outbound', schema: { type: 'string', enum: ['inbound', 'outbound'] } },
  id: { description: 'An API key id (a UUID, as listed by GET /api/apikeys).', sample: '0f8e2c5a-3b1d-4e6f-9a7b-1c2d3e4f5a6b', schema: { type: 'string', format: 'uuid' } },
};

export function captureInfo(name: string): CaptureInfo {
  return CAPTURES[name] ?? { description: `The \`${name}\` segment of the path.`, sample: 'example', schema: { type: 'string' } };
}

/** The names of a pattern's captures, in order. */
export function capturesOf(pattern: string): string[] {
  return pattern.split('/').filter((part) => part.startsWith(':')).map((part) => part.slice(1));
}

/** A concrete path below /api for a pattern, with sample values (or `overrides`) in its captures. */
export function samplePath(pattern: string, overrides: Record<string, string> = {}): string {
  return pattern
    .split('/')
    .map((part) => (part.startsWith(':') ? encodeURIComponent(overrides[part.slice(1)] ?? captureInfo(part.slice(1)).sample) : part))
    .join('/');
}

/** `/domain/:domain` -> `/domain/{domain}` (OpenAPI path templates). */
export function openApiPath(pattern: string): string {
  return pattern.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}
