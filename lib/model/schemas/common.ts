import { Type, type TSchema } from '@sinclair/typebox';

/**
 * Building blocks of the request-parameter schemas. Every parameter arrives as a string
 * (form, query or flattened JSON); a schema states its shape and, in `x-msg`, the `_msg`
 * code a malformed value is refused with. Compiled to standalone validators at build time
 * (scripts/build-validators.ts); the same schemas feed the OpenAPI document.
 */
export interface ParamOptions {
  description: string;
  code?: string;
  example?: string;
}

function annotate(options: ParamOptions, extra: Record<string, unknown>): Record<string, unknown> {
  return { description: options.description, 'x-msg': options.code ?? 'INVALID_PARAMETER', ...(options.example ? { examples: [options.example] } : {}), ...extra };
}

export const text = (options: ParamOptions, maxLength = 255) => Type.Optional(Type.String(annotate(options, { maxLength })));
export const integer = (options: ParamOptions) => Type.Optional(Type.String(annotate(options, { pattern: '^\\s*-?\\d{1,15}\\s*$' })));
export const size = (options: ParamOptions) => Type.Optional(Type.String(annotate({ code: 'INVALID_QUOTA_SIZE', ...options }, { pattern: '^\\s*\\d{1,15}\\s*$' })));
export const unit = (options: ParamOptions) => Type.Optional(Type.String(annotate({ code: 'INVALID_QUOTA_SIZE', ...options }, { pattern: '^\\s*([mMgGtT][bB])?\\s*$' })));
export const emailList = (options: ParamOptions) => Type.Optional(Type.String(annotate({ code: 'INVALID_MAIL', ...options }, { maxLength: 65536 })));
export const flag = (options: ParamOptions) => Type.Optional(Type.String(annotate(options, { maxLength: 255 })));
export const yesNo = (options: ParamOptions) => Type.Optional(Type.String(annotate(options, { maxLength: 10 })));

/** Unknown parameters are ignored, as the original does (clients send LDAP-only keys such as `gn`). */
export const params = (properties: Record<string, TSchema>) => Type.Object(properties, { additionalProperties: true });
