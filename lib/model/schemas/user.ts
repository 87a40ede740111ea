import { emailList, flag, integer, params, size, text, yesNo } from '#lib/model/schemas/common';

/** Parameters POST and PUT /api/user/<mail> share (pro-api-behaviour §1.5, §1.6.2-1.6.3). */
const profile = {
  name: text({ description: 'Display name.', example: 'John Smith' }),
  cn: text({ description: 'Legacy name of `name` (before iRedAdmin-Pro-SQL 2.5.0).' }),
  password: text({ description: 'Plain password, checked against the password policy (domain min/max length, then the global rules); stored hashed with DEFAULT_PASSWORD_SCHEME.' }, 1024),
  password_hash: text({ description: 'A ready-made hash with its `{SCHEME}` prefix (PLAIN, CRYPT, MD5, PLAIN-MD5, SHA, SSHA, SHA512, SSHA512, SHA512-CRYPT, BCRYPT, CRAM-MD5, NTLM, ...), stored as given. Conflicts with `password`.', code: 'INVALID_PASSWORD_SCHEME' }, 1024),
  language: text({ description: 'Preferred language of the web UI, e.g. en_US.', code: 'INVALID_LANGUAGE' }, 10),
  preferredLanguage: text({ description: 'Legacy name of `language`.', code: 'INVALID_LANGUAGE' }, 10),
  quota: size({ description: 'Mailbox quota in MB (0 = unlimited). Silently clamped to the domain spare quota and max user quota, as the original.', example: '1024' }),
  mailQuota: size({ description: 'Legacy name of `quota`.' }),
  employeeid: text({ description: 'User ID or employee number.' }),
  transport: text({ description: 'Per-user Postfix transport (empty: the domain transport).', code: 'INVALID_TRANSPORT' }),
  isGlobalAdmin: yesNo({ description: 'Global admins only: `yes` promotes the user to global admin, any other value demotes it.' }),
  forwarding: emailList({ description: 'Forwarding addresses (reset); add the user\'s own address to keep a copy. Empty: deliver to the mailbox only.' }),
  addForwarding: emailList({ description: 'Forwarding addresses to add. Conflicts with `forwarding`.' }),
  removeForwarding: emailList({ description: 'Forwarding addresses to remove (the own address: stop keeping a copy). Conflicts with `forwarding`.' }),
  aliases: emailList({ description: 'Per-user alias addresses (reset), in the user\'s domain or one of its alias domains. Empty removes all.' }),
  addAlias: emailList({ description: 'Per-user alias addresses to add. Conflicts with `aliases`.' }),
  removeAlias: emailList({ description: 'Per-user alias addresses to remove. Conflicts with `aliases`.' }),
  services: text({ description: 'Enabled mail services (reset): smtp, smtpsecured, pop3, pop3secured, imap, imapsecured, managesieve, managesievesecured, deliver, sogo. Unknown names are ignored.', code: 'INVALID_SERVICE' }, 4096),
  addService: text({ description: 'Mail services to enable. Conflicts with `services`.', code: 'INVALID_SERVICE' }, 4096),
  removeService: text({ description: 'Mail services to disable. Conflicts with `services`.', code: 'INVALID_SERVICE' }, 4096),
  senderBcc: text({ description: 'Per-user sender BCC address; empty removes it.', code: 'INVALID_MAIL' }, 320),
  recipientBcc: text({ description: 'Per-user recipient BCC address; empty removes it.', code: 'INVALID_MAIL' }, 320),
  mailboxFormat: text({ description: 'Dovecot mailbox format: maildir, mdbox or sdbox.' }, 10),
  mailboxFolder: text({ description: 'Mailbox folder under the home directory, 1-20 letters and digits (default Maildir).' }, 20),
  maildir: text({ description: 'Absolute path of the mailbox, split into storagebasedirectory, storagenode and maildir.' }, 765),
  store_password_in_plain_text: flag({ description: 'Accepted and ignored: passwords are stored with DEFAULT_PASSWORD_SCHEME.' }),
};

export const userSchemas = {
  'POST /user/:mail': params({
    ...profile,
    accountStatus: text({ description: 'Ignored: a new user is always active (as the original).' }, 20),
  }),
  'PUT /user/:mail': params({
    ...profile,
    accountStatus: text({ description: '`active` enables; any other value disables (as the original: `enabled` disables).' }, 20),
  }),
  'PUT /users/:domain': params({
    name: text({ description: 'Display name for every user of the domain.' }),
    cn: text({ description: 'Legacy name of `name`.' }),
    accountStatus: text({ description: '`active` enables every user; any other value disables them.' }, 20),
    password: text({ description: 'One new password for every user (hashed once: all users share the hash).', code: 'EMPTY_PASSWORD' }, 1024),
    language: text({ description: 'Preferred language for every user.', code: 'INVALID_LANGUAGE' }, 10),
    preferredLanguage: text({ description: 'Legacy name of `language`.', code: 'INVALID_LANGUAGE' }, 10),
    transport: text({ description: 'Per-user transport for every user.', code: 'INVALID_TRANSPORT' }),
  }),
  'GET /users/:domain': params({
    email_only: flag({ description: 'Return only the sorted addresses (presence counts, whatever the value).' }),
    disabled_only: flag({ description: 'Only disabled users (presence counts).' }),
    q: text({ description: 'Only users whose address or display name contains this text (case-insensitive).' }),
    page: integer({ description: 'Page number, from 1 (paging is applied only when page or limit is given; `_total` then counts every match).' }),
    limit: integer({ description: 'Users per page (default 100, at most 10000).' }),
  }),
  'POST /verify_password/user/:mail': params({
    password: text({ description: 'Plain password to check.' }, 1024),
  }),
  'POST /verify_password/admin/:mail': params({
    password: text({ description: 'Plain password to check.' }, 1024),
  }),
};
