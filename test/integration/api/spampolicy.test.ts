import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { snapshot, type ApiClient, type Harness } from '../../support/api';
import { startRoleFixture } from '../../support/roles';

/**
 * Spam policies on amavisd.policy / amavisd.users (reference/policy.md §1): stored rows,
 * in-place updates that keep what a PUT does not name, explicit "no" values, decimals in
 * spam_score, GET/DELETE shapes, refusals that change nothing, and who may call what.
 */
let h: Harness;
let admin: ApiClient;
let clients: Record<string, ApiClient>;
before(async () => {
  ({ h, admin, clients } = await startRoleFixture());
});
after(async () => { await h?.close(); });

const AMAVISD_TABLES = ['policy', 'users', 'wblist', 'mailaddr'];
const policyRow = (name: string) => h.amavisd.selectFrom('policy').selectAll().where('policy_name', '=', name).execute();
const usersRow = (email: string) => h.amavisd.selectFrom('users').selectAll().where('email', '=', Buffer.from(email)).execute();
const num = (value: unknown) => (value === null || value === undefined ? value : Number(value));

describe(`spam policy API (${process.env.TEST_BACKEND ?? 'embedded'})`, () => {
  test('PUT of a user policy with every parameter writes policy and users rows as Amavisd reads them', async () => {
    const res = await admin.put('/api/spampolicy/user/Alice@Mine.Test', {
      bypass_spam_checks: 'yes', bypass_virus_checks: 'no', bypass_banned_checks: 'YES', bypass_header_checks: 'no',
      quarantine_spam: 'yes', quarantine_virus: 'no', quarantine_banned: 'yes', quarantine_bad_header: 'no',
      prefix_spam_in_subject: 'yes', always_insert_x_spam_headers: 'yes', spam_score: '6.5', banned_rulenames: 'allow_ms_word, ALLOW_MS_EXCEL',
    });
    assert.deepEqual(res.body, { _success: true });
    const [policy, ...extra] = await policyRow('alice@mine.test');
    assert.ok(policy, 'the policy is named after the lower-case address');
    assert.equal(extra.length, 0);
    assert.equal(policy.bypass_spam_checks, 'Y');
    assert.equal(policy.bypass_virus_checks, 'N');
    assert.equal(policy.bypass_banned_checks, 'Y');
    assert.equal(policy.bypass_header_checks, 'N');
    assert.equal(policy.spam_quarantine_to, 'spam-quarantine');
    assert.equal(policy.virus_quarantine_to, '', '"no" is an explicit "do not quarantine", not NULL (inherit)');
    assert.equal(policy.banned_quarantine_to, 'banned-quarantine');
    assert.equal(policy.bad_header_quarantine_to, '');
    assert.equal(policy.spam_subject_tag2, '[SPAM] ');
    assert.equal(policy.spam_subject_tag3, '[SPAM] ');
    assert.equal(policy.spam_subject_tag, null, 'the tag-level subject tag would also mark non-spam');
    assert.equal(num(policy.spam_tag_level), -100);
    assert.equal(num(policy.spam_tag2_level), 6.5, 'decimals are kept');
    assert.equal(num(policy.spam_kill_level), 6.5);
    assert.equal(num(policy.spam_tag3_level), 6.5);
    assert.equal(policy.banned_rulenames, 'ALLOW_MS_WORD,ALLOW_MS_EXCEL');
    for (const untouched of ['spam_lover', 'virus_lover', 'banned_files_lover', 'bad_header_lover', 'message_size_limit']) assert.equal(policy[untouched], null, untouched);
    const [user] = await usersRow('alice@mine.test');
    assert.ok(user, 'users.email holds the lower-case address as bytes');
    assert.equal(num(user.priority), 10);
    assert.equal(num(user.policy_id), num(policy.id));
    assert.equal((await usersRow('Alice@Mine.Test')).length, 0, 'binary comparison: no mixed-case copy');
  });

  test('PUT changes only what it names, in place (same policy id); "no" overrides with explicit values', async () => {
    const [before] = await policyRow('alice@mine.test');
    await admin.put('/api/spampolicy/user/alice@mine.test', { bypass_spam_checks: 'no', prefix_spam_in_subject: 'no', always_insert_x_spam_headers: 'no' });
    const [after] = await policyRow('alice@mine.test');
    assert.equal(num(after!.id), num(before!.id));
    assert.equal(after!.bypass_spam_checks, 'N');
    assert.equal(after!.spam_subject_tag, '');
    assert.equal(after!.spam_subject_tag2, '');
    assert.equal(after!.spam_subject_tag3, '');
    assert.equal(num(after!.spam_tag_level), 2, 'X-Spam headers from the normal tag level again');
    for (const kept of ['bypass_banned_checks', 'spam_quarantine_to', 'virus_quarantine_to', 'banned_quarantine_to', 'banned_rulenames', 'spam_kill_level', 'spam_tag2_level']) {
      assert.deepEqual(after![kept], before![kept], `${kept} kept`);
    }
    await admin.put('/api/spampolicy/user/alice@mine.test', { spam_score: '8', banned_rulenames: '' });
    const [scored] = await policyRow('alice@mine.test');
    assert.equal(num(scored!.spam_kill_level), 8);
    assert.equal(scored!.banned_rulenames, null, 'empty rule list inherits');
    await admin.put('/api/spampolicy/user/alice@mine.test', { spam_score: '' });
    const [reset] = await policyRow('alice@mine.test');
    assert.equal(reset!.spam_kill_level, null, 'empty spam_score returns to the system default');
    assert.equal(reset!.spam_tag2_level, null);
  });

  test('GET returns the policy row plus users_id, or {} without a policy', async () => {
    const data = (await admin.get('/api/spampolicy/user/alice@mine.test')).body._data;
    const [policy] = await policyRow('alice@mine.test');
    const [user] = await usersRow('alice@mine.test');
    assert.equal(data.policy_name, 'alice@mine.test');
    assert.equal(data.id, num(policy!.id));
    assert.equal(data.users_id, num(user!.id));
    assert.equal(data.bypass_spam_checks, 'N');
    assert.equal(data.spam_quarantine_to, 'spam-quarantine');
    assert.ok('spam_lover' in data && data.spam_lover === null, 'every policy column, NULLs included');
    assert.deepEqual((await admin.get('/api/spampolicy/user/nobody@mine.test')).body, { _success: true, _data: {} });
    assert.deepEqual((await admin.get('/api/spampolicy/domain/theirs.test')).body, { _success: true, _data: {} });
  });

  test('domain (priority 5) and global (priority 0) policies; global keeps what an installed server had', async () => {
    const [globalBefore] = await policyRow('@.');
    await admin.put('/api/spampolicy/domain/Mine.Test', { quarantine_spam: 'no', spam_score: '5' });
    const [domainPolicy] = await policyRow('@mine.test');
    assert.equal(domainPolicy!.spam_quarantine_to, '');
    assert.equal(num(domainPolicy!.spam_kill_level), 5);
    assert.equal(domainPolicy!.bypass_spam_checks, null, 'not named: inherits');
    assert.equal(num((await usersRow('@mine.test'))[0]!.priority), 5);

    await admin.put('/api/spampolicy/global', { quarantine_virus: 'yes', bypass_virus_checks: 'no' });
    const globals = await policyRow('@.');
    assert.equal(globals.length, 1);
    const [globalAfter] = globals;
    assert.equal(globalAfter!.virus_quarantine_to, 'virus-quarantine');
    assert.equal(num((await usersRow('@.'))[0]!.priority), 0);
    if (globalBefore) {
      // The genuine flavour holds iRedMail's default global policy: its id and lover flags survive.
      assert.equal(num(globalAfter!.id), num(globalBefore.id));
      assert.equal(globalAfter!.spam_lover, globalBefore.spam_lover);
      assert.equal(globalAfter!.bad_header_lover, globalBefore.bad_header_lover);
    }
    assert.equal((await admin.get('/api/spampolicy/global')).body._data.virus_quarantine_to, 'virus-quarantine');
  });

  test('DELETE removes the policy row; the users row stays and inherits', async () => {
    await admin.put('/api/spampolicy/user/bob@mine.test', { bypass_spam_checks: 'yes' });
    assert.deepEqual((await admin.delete('/api/spampolicy/user/bob@mine.test')).body, { _success: true });
    assert.equal((await policyRow('bob@mine.test')).length, 0);
    assert.equal((await usersRow('bob@mine.test')).length, 1);
    assert.deepEqual((await admin.get('/api/spampolicy/user/bob@mine.test')).body._data, {});
    assert.deepEqual((await admin.delete('/api/spampolicy/user/bob@mine.test')).body, { _success: true }, 'deleting what is gone succeeds');
    // A later PUT re-creates the policy and points the surviving users row at it.
    await admin.put('/api/spampolicy/user/bob@mine.test', { bypass_virus_checks: 'yes' });
    const [policy] = await policyRow('bob@mine.test');
    const users = await usersRow('bob@mine.test');
    assert.equal(users.length, 1);
    assert.equal(num(users[0]!.policy_id), num(policy!.id));
    assert.equal(policy!.bypass_spam_checks, null, 'the deleted values are gone');
  });

  test('concurrent first PUTs of one account leave one policy and one users row', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => admin.put('/api/spampolicy/user/race@mine.test', { spam_score: String(5 + i) })));
    assert.ok(results.every((res) => res.body._success === true), JSON.stringify(results.map((r) => r.body)));
    const policies = await policyRow('race@mine.test');
    const users = await usersRow('race@mine.test');
    assert.equal(policies.length, 1);
    assert.equal(users.length, 1);
    assert.equal(num(users[0]!.policy_id), num(policies[0]!.id));
  });

  test('bad input: a code, HTTP status < 500, nothing changed', async () => {
    const before = await snapshot(h.amavisd, AMAVISD_TABLES);
    const cases: [string, string, Record<string, string>, string][] = [
      ['PUT', '/api/spampolicy/user/alice@mine.test', { spam_score: 'high' }, 'INVALID_SPAM_SCORE'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { spam_score: '-3' }, 'INVALID_SPAM_SCORE'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { spam_score: '0' }, 'INVALID_SPAM_SCORE'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { spam_score: '1000' }, 'INVALID_SPAM_SCORE'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { spam_score: '6,5' }, 'INVALID_SPAM_SCORE'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { spam_score: '1e2' }, 'INVALID_SPAM_SCORE'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { spam_score: 'x'.repeat(50) }, 'INVALID_SPAM_SCORE'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { bypass_spam_checks: 'maybe' }, 'INVALID_PARAMETER'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { quarantine_virus: '1', bypass_spam_checks: 'yes' }, 'INVALID_PARAMETER'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { prefix_spam_in_subject: '' }, 'INVALID_PARAMETER'],
      ['PUT', '/api/spampolicy/user/alice@mine.test', { banned_rulenames: 'ALLOW_MS_WORD,ALLOW_EVERYTHING' }, 'INVALID_PARAMETER'],
      ['PUT', '/api/spampolicy/domain/mine.test', { spam_score: '5', always_insert_x_spam_headers: 'sometimes' }, 'INVALID_PARAMETER'],
      ['PUT', '/api/spampolicy/global', { quarantine_spam: 'true' }, 'INVALID_PARAMETER'],
      ['PUT', '/api/spampolicy/domain/no_tld', { spam_score: '5' }, 'INVALID_DOMAIN_NAME'],
      ['PUT', "/api/spampolicy/domain/x.test'--", { spam_score: '5' }, 'INVALID_DOMAIN_NAME'],
      ['GET', '/api/spampolicy/domain/bad!name.test', {}, 'INVALID_DOMAIN_NAME'],
      ['PUT', '/api/spampolicy/user/not-an-address', { spam_score: '5' }, 'INVALID_MAIL'],
      ['DELETE', '/api/spampolicy/user/a@@mine.test', {}, 'INVALID_MAIL'],
      ['POST', '/api/spampolicy/global', {}, 'INVALID_HTTP_METHOD'],
    ];
    for (const [method, path, params, code] of cases) {
      const res = await admin.call(method, path, params);
      assert.ok(res.status < 500, `${method} ${path}`);
      assert.deepEqual(res.body, { _success: false, _msg: code }, `${method} ${path} ${JSON.stringify(params)}`);
    }
    assert.deepEqual(await snapshot(h.amavisd, AMAVISD_TABLES), before);
  });

  test('every write is in the admin log', async () => {
    const rows = await h.iredadmin.selectFrom('log').selectAll().where('msg', 'like', '[API] %spam policy%').execute();
    assert.ok(rows.some((row) => row.msg.includes('alice@mine.test') && row.domain === 'mine.test' && row.admin === 'admin@admins.test'));
    assert.ok(rows.some((row) => row.msg.startsWith('[API] Delete spam policy of bob@mine.test')));
  });
});

type Role = 'anonymous' | 'other' | 'owner' | 'global';
const DOMAIN_ADMINS: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'ok', global: 'ok' };
const GLOBAL_ONLY: Record<Role, string> = { anonymous: 'LOGIN_REQUIRED', other: 'PERMISSION_DENIED', owner: 'PERMISSION_DENIED', global: 'ok' };

describe('spam policy routes × roles', () => {
  const matrix: [string, string, Record<string, string>, Record<Role, string>][] = [];
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const params: Record<string, string> = method === 'PUT' ? { bypass_spam_checks: 'yes' } : {};
    matrix.push([method, '/api/spampolicy/global', params, GLOBAL_ONLY]);
    matrix.push([method, '/api/spampolicy/domain/mine.test', params, DOMAIN_ADMINS]);
    matrix.push([method, '/api/spampolicy/user/someone@mine.test', params, DOMAIN_ADMINS]);
  }
  for (const [method, path, params, expected] of matrix) {
    for (const role of ['anonymous', 'other', 'owner', 'global'] as Role[]) {
      test(`${role} ${method} ${path}`, async () => {
        const before = await snapshot(h.amavisd, AMAVISD_TABLES);
        const res = await clients[role]!.call(method, path, params);
        assert.equal(res.status, 200);
        if (expected[role] === 'ok') {
          assert.equal(res.body._success, true, JSON.stringify(res.body));
        } else {
          assert.deepEqual(res.body, { _success: false, _msg: expected[role] });
          assert.deepEqual(await snapshot(h.amavisd, AMAVISD_TABLES), before, 'a refused call changes nothing');
        }
      });
    }
  }
});
