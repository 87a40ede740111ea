import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ldifRecord, toLdif } from '#lib/services/ldif-format';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

test('safe strings are written as they are, objectClass and values in the order given', () => {
  const record = ldifRecord({ dn: 'mail=a@b.test,ou=Users,domainName=b.test,o=domains,dc=example,dc=com', attributes: [['objectClass', ['inetOrgPerson', 'mailUser']], ['mail', ['a@b.test']], ['cn', ['A: with colon inside']]] });
  assert.equal(record, 'dn: mail=a@b.test,ou=Users,domainName=b.test,o=domains,dc=example,dc=com\nobjectClass: inetOrgPerson\nobjectClass: mailUser\nmail: a@b.test\ncn: A: with colon inside\n');
});

test('values that are not SAFE-STRINGs are base64 after "::" (RFC 2849)', () => {
  const cases: [string, boolean][] = [
    [' leading space', true],
    [':leading colon', true],
    ['<leading less-than', true],
    ['trailing space ', true],
    ['line\nbreak', true],
    ['carriage\rreturn', true],
    ['nul\0byte', true],
    ['Vertrieb Süd', true],
    ['', false],
    ['plain', false],
    ['inner < and : and space', false],
  ];
  for (const [value, encoded] of cases) {
    const line = ldifRecord({ dn: 'cn=x', attributes: [['cn', [value]]] }).split('\n')[1];
    assert.equal(line, encoded ? `cn:: ${b64(value)}` : `cn: ${value}`, JSON.stringify(value));
  }
  assert.equal(ldifRecord({ dn: 'cn=Jürgen,dc=x', attributes: [] }), `dn:: ${b64('cn=Jürgen,dc=x')}\n`, 'the dn follows the same rule');
  assert.equal(ldifRecord({ dn: 'cn=x', attributes: [['jpegPhoto', [Buffer.from([0xff, 0xd8, 0x00, 0x01])]]] }).split('\n')[1], 'jpegPhoto:: /9gAAQ==', 'binary values byte for byte');
});

test('lines are folded at 76 columns; unfolding gives the line back', () => {
  const value = 'x'.repeat(300);
  const record = ldifRecord({ dn: 'cn=x', attributes: [['description', [value]]] });
  const lines = record.trimEnd().split('\n').slice(1);
  assert.ok(lines.length > 1);
  assert.ok(lines.every((line) => line.length <= 76), 'no line is longer than 76');
  assert.equal(lines[0]!.length, 76);
  assert.ok(lines.slice(1).every((line) => line.startsWith(' ')));
  assert.equal(lines.map((line, i) => (i === 0 ? line : line.slice(1))).join(''), `description: ${value}`);
});

test('a file: version line, records separated by one empty line', () => {
  const text = toLdif([
    { dn: 'dc=a', attributes: [['dc', ['a']]] },
    { dn: 'dc=b', attributes: [['dc', ['b']]] },
  ]);
  assert.equal(text, 'version: 1\n\ndn: dc=a\ndc: a\n\ndn: dc=b\ndc: b\n');
  assert.equal(toLdif([]), 'version: 1\n');
});
