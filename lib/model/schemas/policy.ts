import { Type } from '@sinclair/typebox';
import { params, text, yesNo, type ParamOptions } from '#lib/model/schemas/common';

/** A yes/no switch of the spam policy; any other value is refused (INVALID_PARAMETER). */
const spamSwitch = (description: string) => yesNo({ description: `${description} \`yes\` or \`no\` (an explicit value that overrides lower levels).` });

/** A throttle number: an integer, or empty (= not given). */
const throttleNumber = (options: ParamOptions) =>
  Type.Optional(Type.String({ description: options.description, 'x-msg': options.code ?? 'INVALID_PARAMETER', ...(options.example ? { examples: [options.example] } : {}), pattern: '^\\s*(-?\\d{1,15})?\\s*$' }));

const spamPolicy = params({
  bypass_spam_checks: spamSwitch('Bypass spam checks.'),
  bypass_virus_checks: spamSwitch('Bypass virus checks.'),
  bypass_banned_checks: spamSwitch('Bypass banned file type checks.'),
  bypass_header_checks: spamSwitch('Bypass bad header checks.'),
  quarantine_spam: spamSwitch('Quarantine detected spam into SQL (`no` delivers it).'),
  quarantine_virus: spamSwitch('Quarantine detected viruses into SQL.'),
  quarantine_banned: spamSwitch('Quarantine mail with banned file types into SQL.'),
  quarantine_bad_header: spamSwitch('Quarantine mail with bad headers into SQL.'),
  prefix_spam_in_subject: spamSwitch('Prefix `[SPAM] ` to the subject of spam.'),
  always_insert_x_spam_headers: spamSwitch('Always insert X-Spam-* headers (for debugging spam checks).'),
  spam_score: text({ description: 'Score from which mail is spam (tag2 and kill level), decimals allowed, 0.1 to 100; empty returns to the system default.', code: 'INVALID_SPAM_SCORE', example: '6.5' }, 20),
  banned_rulenames: text({ description: 'Comma-separated names of Amavisd %banned_rules: ALLOW_MS_OFFICE, ALLOW_MS_WORD, ALLOW_MS_EXCEL, ALLOW_MS_PPT; empty inherits.' }, 255),
});

const senders = (description: string) => text({ description, code: 'INVALID_SENDER', example: '192.168.1.0/24,172.16.10.1,@example.com' }, 65536);
const domains = (description: string) => text({ description, code: 'INVALID_DOMAIN_NAME', example: 'iredmail.org,gmail.com' }, 65536);

export const policySchemas = {
  'PUT /spampolicy/global': spamPolicy,
  'PUT /spampolicy/domain/:domain': spamPolicy,
  'PUT /spampolicy/user/:mail': spamPolicy,
  'POST /throttle/:account/:direction': params({
    period: throttleNumber({ description: 'Period in seconds (required); 0 deletes the setting.', example: '3600' }),
    msg_size: throttleNumber({ description: 'Largest single message, in bytes: -1 inherit (the default), 0 unlimited.', example: '10485760' }),
    max_msgs: throttleNumber({ description: 'Most messages in the period: -1 inherit (the default), 0 unlimited.', example: '20' }),
    max_quota: throttleNumber({ description: 'Most bytes in the period: -1 inherit (the default), 0 unlimited.', example: '1048576000' }),
  }),
  'POST /greylisting/:account': params({
    status: text({ description: '`enable` or `disable`; on a domain or user any other value removes the setting (inherit). Global accepts only the two.', example: 'enable' }, 64),
  }),
  'POST /greylisting/:account/whitelists': params({
    senders: senders('Reset the whitelisted senders (comma separated; empty clears). Conflicts with addSenders/removeSenders.'),
    addSenders: senders('Senders to whitelist: IP, CIDR network, user@domain, @domain or @.domain.'),
    removeSenders: senders('Senders to remove from this account\'s whitelist.'),
  }),
  'POST /greylisting/whitelist_spf_domains': params({
    domains: domains('Reset the sender domains whose SPF/MX hosts are whitelisted. Conflicts with addDomains/removeDomains.'),
    addDomains: domains('Sender domains to add.'),
    removeDomains: domains('Sender domains to remove (their SPF-derived whitelist rows go too).'),
  }),
};
