/**
 * iRedAdmin's password policy (reference/storage.md §4.4, pro-api-behaviour.md §1.8):
 * every failure is reported, in a fixed order, so the API can answer with the same
 * comma-joined `PW_*` list as the original.
 */
import { randomInt } from 'node:crypto';
import type { OriginalCode } from '#lib/model/codes';

/** Policy codes in the order iRedAdmin reports them (PW_MISMATCH is the caller's check). */
export const PW_CODES = [
  'PW_EMPTY',
  'PW_NON_ASCII',
  'PW_SHORTER_THAN_MIN_LENGTH',
  'PW_GREATER_THAN_MAX_LENGTH',
  'PW_NO_LETTER',
  'PW_NO_UPPERCASE',
  'PW_NO_DIGIT_NUMBER',
  'PW_NO_SPECIAL_CHAR',
] as const satisfies readonly OriginalCode[];

export type PwCode = (typeof PW_CODES)[number];

export interface PasswordPolicy {
  minLength: number;
  /** 0 means no maximum. */
  maxLength: number;
  requireLetter: boolean;
  requireUppercase: boolean;
  requireDigit: boolean;
  requireSpecial: boolean;
}

/** iRedMail's shipped settings: at least 8 characters, each character class required. */
export const DEFAULT_PASSWORD_POLICY: Readonly<PasswordPolicy> = Object.freeze({
  minLength: 8,
  maxLength: 0,
  requireLetter: true,
  requireUppercase: true,
  requireDigit: true,
  requireSpecial: true,
});

/** iRedAdmin's special characters (the code's set; its docs page lists a slightly different one). */
export const SPECIAL_CHARACTERS = '#$%&*+-,.:;!=<>\'"?@[]/(){}_`~';

/**
 * Every rule the password breaks. An empty password gives only PW_EMPTY: the other codes
 * would just restate it.
 */
export function checkPasswordPolicy(password: string, policy: PasswordPolicy): PwCode[] {
  if (password === '') return ['PW_EMPTY'];
  const codes: PwCode[] = [];
  // Python's len() counts code points, not UTF-16 units.
  const length = [...password].length;
  if (!/^[\x20-\x7e]*$/.test(password)) codes.push('PW_NON_ASCII');
  if (length < policy.minLength) codes.push('PW_SHORTER_THAN_MIN_LENGTH');
  if (policy.maxLength > 0 && length > policy.maxLength) codes.push('PW_GREATER_THAN_MAX_LENGTH');
  if (policy.requireLetter && !/[A-Za-z]/.test(password)) codes.push('PW_NO_LETTER');
  if (policy.requireUppercase && !/[A-Z]/.test(password)) codes.push('PW_NO_UPPERCASE');
  if (policy.requireDigit && !/[0-9]/.test(password)) codes.push('PW_NO_DIGIT_NUMBER');
  if (policy.requireSpecial && ![...password].some((char) => SPECIAL_CHARACTERS.includes(char))) {
    codes.push('PW_NO_SPECIAL_CHAR');
  }
  return codes;
}

/**
 * The policy for one domain: its own min/max length replace the global ones when set
 * (non-zero). Clamping what a normal admin may save is the settings writer's job.
 */
export function effectivePolicy(global: PasswordPolicy, domainMin?: number, domainMax?: number): PasswordPolicy {
  return {
    ...global,
    minLength: isOverride(domainMin) ? domainMin : global.minLength,
    maxLength: isOverride(domainMax) ? domainMax : global.maxLength,
  };
}

// Negative or fractional values can only come from corrupt settings; they change nothing.
function isOverride(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value > 0;
}

// Look-alikes (0/O, 1/l/I, i) are left out so a password read off a screen is typed right.
const LOWER = 'abcdefghjkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
// Specials that survive shells, CSV files and URLs without quoting trouble.
const SPECIALS = '#%*+-.:;=?@_';

/**
 * A random password that passes `policy`: at least max(10, minLength) characters (capped
 * by maxLength when that is larger than minLength), one character of each required class.
 */
export function generateRandomPassword(policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY): string {
  const required = [
    policy.requireUppercase ? UPPER : '',
    policy.requireLetter ? LOWER : '',
    policy.requireDigit ? DIGITS : '',
    policy.requireSpecial ? SPECIALS : '',
  ].filter(Boolean);
  const length = Math.max(passwordLength(policy), required.length);
  const alphabet = LOWER + UPPER + DIGITS + (policy.requireSpecial ? SPECIALS : '');
  const chars = required.map(pick);
  while (chars.length < length) chars.push(pick(alphabet));
  return shuffle(chars).join('');
}

function passwordLength(policy: PasswordPolicy): number {
  const wanted = Math.max(10, policy.minLength);
  if (policy.maxLength > 0 && wanted > policy.maxLength) return Math.max(policy.maxLength, policy.minLength);
  return wanted;
}

function pick(alphabet: string): string {
  return alphabet[randomInt(alphabet.length)]!;
}

/** Fisher–Yates with a cryptographic source, so the required characters land anywhere. */
function shuffle(chars: string[]): string[] {
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars;
}
