/**
 * The policy model: how the API's `global` / domain / address targets become the account
 * keys Amavisd and iRedAPD read (reference/policy.md §1.2, §2.2, §3.2), the priorities each
 * level is written with, and the shapes the policy stores exchange with the services.
 */
import ipaddr from 'ipaddr.js';
import { isDomain, isEmail } from '#lib/model/addresses';

export type PolicyLevel = 'global' | 'domain' | 'user';

/** The account key of a level: `@.`, `@domain`, `user@domain` (always lower case). */
export function policyAccount(level: PolicyLevel, value = ''): string {
  if (level === 'global') return '@.';
  return level === 'domain' ? `@${value.toLowerCase()}` : value.toLowerCase();
}

/** A `:account` route capture (`global`, a domain or an address, already validated) as an account key. */
export function accountFromCapture(capture: string): string {
  if (capture === 'global') return '@.';
  return capture.includes('@') ? capture : `@${capture}`;
}

export function levelOf(account: string): PolicyLevel {
  if (account === '@.') return 'global';
  return account.startsWith('@') ? 'domain' : 'user';
}

/** The domain an account belongs to (for the admin log); undefined for global. */
export function domainOfAccount(account: string): string | undefined {
  if (account === '@.') return undefined;
  return account.slice(account.lastIndexOf('@') + 1);
}

/** Amavisd `users.priority` (Pro's MAILADDR_PRIORITIES, policy.md §1.2). */
export const AMAVISD_PRIORITY: Record<PolicyLevel, number> = { user: 10, domain: 5, global: 0 };

/**
 * iRedAPD `throttle.priority` and `greylisting.priority` (APD's ACCOUNT_PRIORITIES,
 * policy.md §2.3 and §3.2). Pro 5.5 wrote 10/5/0 for throttles; iRedAPD expects these.
 */
export const IREDAPD_PRIORITY: Record<PolicyLevel, number> = { user: 100, domain: 60, global: 0 };

// ---------------------------------------------------------------------------------------
// Spam policy (amavisd.policy)

/** The text `policy` columns the API writes ('Y'/'N', quarantine targets, subject tags, rule names). */
type SpamPolicyText =
  | 'bypass_spam_checks' | 'bypass_virus_checks' | 'bypass_banned_checks' | 'bypass_header_checks'
  | 'spam_quarantine_to' | 'virus_quarantine_to' | 'banned_quarantine_to' | 'bad_header_quarantine_to'
  | 'spam_subject_tag' | 'spam_subject_tag2' | 'spam_subject_tag3'
  | 'banned_rulenames';
/** The score columns the API writes. */
type SpamPolicyLevel = 'spam_tag_level' | 'spam_tag2_level' | 'spam_tag3_level' | 'spam_kill_level';

/** What a PUT writes; NULL means inherit. Columns not named here are never touched. */
export type SpamPolicyChanges = Partial<Record<SpamPolicyText, string | null> & Record<SpamPolicyLevel, number | null>>;

/** GET reply: every `policy` column as stored, plus the owning `users.id`. */
export type SpamPolicyRow = Record<string, unknown> & { id: number; policy_name: string | null; users_id: number };

// ---------------------------------------------------------------------------------------
// Throttling (iredapd.throttle)

export type ThrottleKind = 'inbound' | 'outbound';

export interface ThrottleSetting {
  id: number;
  account: string;
  kind: string;
  priority: number;
  /** Seconds; iRedAPD ignores a row whose period is 0. */
  period: number;
  /** -1 inherit, 0 unlimited, N > 0 the limit. */
  msg_size: number;
  max_msgs: number;
  max_quota: number;
  max_rcpts: number;
}

export interface ThrottleWrite {
  account: string;
  kind: ThrottleKind;
  priority: number;
  period: number;
  msg_size: number;
  max_msgs: number;
  max_quota: number;
}

// ---------------------------------------------------------------------------------------
// Greylisting (iredapd.greylisting*, policy.md §3)

export interface GreylistingSetting {
  account: string;
  sender: string;
  priority: number;
  sender_priority: number;
  active: number;
}

/** A reset (`reset` set) or an incremental change of a list. */
export interface ListChange {
  reset?: string[];
  add: string[];
  remove: string[];
}

/** The comment the SPF job gives its rows, naming the listed domain they came from. */
export const SPF_COMMENT_PREFIX = 'AUTO-UPDATE: ';
export const spfComment = (domain: string): string => `${SPF_COMMENT_PREFIX}${domain}`;

/** iRedMail's MySQL schema declares whitelist senders VARCHAR(100). */
export const MAX_SENDER_LENGTH = 100;

/**
 * A greylisting whitelist entry in its stored form, or undefined when the value is not one
 * of the API document's formats: an IPv4/IPv6 address, a CIDR network whose host bits are
 * zero, `user@domain`, `@domain` or `@.domain`. IPv6 is written in RFC 5952 form because
 * iRedAPD compares the client address as a string.
 */
export function normaliseWhitelistSender(value: string): string | undefined {
  const text = value.trim().toLowerCase();
  if (text === '' || text.length > MAX_SENDER_LENGTH) return undefined;
  if (text.startsWith('@.')) return isDomain(text.slice(2)) ? text : undefined;
  if (text.startsWith('@')) return isDomain(text.slice(1)) ? text : undefined;
  if (text.includes('@')) return isEmail(text) ? text : undefined;
  return normaliseNetwork(text);
}

/**
 * What `removeSenders` accepts: every stored form above plus the wider set iRedAdmin-Pro and
 * iRedAPD may have written (`@.`, `@.tld`, `user@*`), so old entries can still be removed.
 */
export function normaliseRemovableSender(value: string): string | undefined {
  const strict = normaliseWhitelistSender(value);
  if (strict) return strict;
  const text = value.trim().toLowerCase();
  if (text === '@.') return text;
  if (/^@\.[a-z0-9-]{2,25}$/.test(text)) return text;
  if (text.endsWith('@*') && isEmail(`${text.slice(0, -2)}@x.test`)) return text;
  return undefined;
}

function normaliseNetwork(text: string): string | undefined {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const prefixText = slash === -1 ? undefined : text.slice(slash + 1);
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) parsed = ipaddr.IPv4.parse(address);
  else if (address.includes(':') && !address.includes('%') && ipaddr.IPv6.isValid(address)) parsed = ipaddr.IPv6.parse(address);
  else return undefined;
  // Postfix reports IPv4 clients as IPv4: an IPv4-mapped IPv6 entry would never match.
  if (parsed instanceof ipaddr.IPv6 && parsed.isIPv4MappedAddress()) return undefined;
  const max = parsed.kind() === 'ipv4' ? 32 : 128;
  const shown = parsed instanceof ipaddr.IPv6 ? parsed.toRFC5952String() : parsed.toString();
  if (prefixText === undefined) return shown;
  if (!/^(?:0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  // A /0 would whitelist every client; host bits set mean the value is not a network.
  if (prefix < 1 || prefix > max) return undefined;
  const network = parsed instanceof ipaddr.IPv6
    ? ipaddr.IPv6.networkAddressFromCIDR(`${shown}/${prefix}`)
    : ipaddr.IPv4.networkAddressFromCIDR(`${shown}/${prefix}`);
  const networkText = network instanceof ipaddr.IPv6 ? network.toRFC5952String() : network.toString();
  if (networkText !== shown) return undefined;
  return prefix === max ? shown : `${shown}/${prefix}`;
}
