// The PW_* answers a mail operator sees when an admin or user picks a password
// (pro-api-behaviour.md §1.8, storage.md §4.4), per-domain length overrides, and the
// random passwords the API hands out.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PASSWORD_POLICY,
  PW_CODES,
  SPECIAL_CHARACTERS,
  checkPasswordPolicy,
  effectivePolicy,
  generateRandomPassword,
  type PasswordPolicy,
} from '#lib/auth/password-policy';

const policy = (overrides: Partial<PasswordPolicy> = {}): PasswordPolicy => ({ ...DEFAULT_PASSWORD_POLICY, ...overrides });
const check = (password: string, overrides: Partial<PasswordPolicy> = {}) => checkPasswordPolicy(password, policy(overrides));

describe('defaults', () => {
  test('are iRedMail\'s: 8 characters minimum, no maximum, every class required', () => {
    assert.deepEqual({ ...DEFAULT_PASSWORD_POLICY }, {
      minLength: 8,
      maxLength: 0,
      requireLetter: true,
      requireUppercase: true,
      requireDigit: true,
      requireSpecial: true,
    });
  });

  test('a password meeting every rule passes', () => {
    assert.deepEqual(check('Abcdef1!'), []);
    assert.deepEqual(check('Correct Horse 9 Battery_Staple'), []);
  });

  test('the special set is exactly the one in iRedAdmin\'s code', () => {
    assert.equal(SPECIAL_CHARACTERS, '#$%&*+-,.:;!=<>\'"?@[]/(){}_`~');
  });
});

describe('each code on its own', () => {
  test('PW_EMPTY alone for an empty password, even though every other rule fails too', () => {
    assert.deepEqual(check(''), ['PW_EMPTY']);
  });

  test('PW_NON_ASCII for accented letters, tabs, DEL and other characters outside 32–126', () => {
    for (const password of ['Abcdéf1!', 'Abcdef1!\t', 'Abc\x7fdef1!', 'Abcdef1!€', 'Abcdef1!\n', 'Abcdef1!😀']) {
      assert.deepEqual(check(password), ['PW_NON_ASCII'], JSON.stringify(password));
    }
  });

  test('a space is printable ASCII and allowed', () => {
    assert.deepEqual(check('Abc def 1!'), []);
  });

  test('PW_SHORTER_THAN_MIN_LENGTH one character below the minimum, not at it', () => {
    assert.deepEqual(check('Abcde1!'), ['PW_SHORTER_THAN_MIN_LENGTH']);
    assert.deepEqual(check('Abcdef1!'), []);
    assert.deepEqual(check('Abcdefghi1!', { minLength: 12 }), ['PW_SHORTER_THAN_MIN_LENGTH']);
  });

  test('PW_GREATER_THAN_MAX_LENGTH one character above the maximum, not at it', () => {
    assert.deepEqual(check('Abcdefgh1!x', { maxLength: 10 }), ['PW_GREATER_THAN_MAX_LENGTH']);
    assert.deepEqual(check('Abcdefgh1!', { maxLength: 10 }), []);
  });

  test('maxLength 0 means unlimited', () => {
    assert.deepEqual(check(`Aa1!${'x'.repeat(5000)}`, { maxLength: 0 }), []);
  });

  test('PW_NO_LETTER when no ASCII letter is present', () => {
    assert.deepEqual(check('12345678!', { requireUppercase: false }), ['PW_NO_LETTER']);
  });

  test('PW_NO_UPPERCASE when all letters are lower case', () => {
    assert.deepEqual(check('abcdefg1!'), ['PW_NO_UPPERCASE']);
  });

  test('PW_NO_DIGIT_NUMBER when no digit is present', () => {
    assert.deepEqual(check('Abcdefgh!'), ['PW_NO_DIGIT_NUMBER']);
  });

  test('PW_NO_SPECIAL_CHAR when no character of the special set is present', () => {
    assert.deepEqual(check('Abcdefg12'), ['PW_NO_SPECIAL_CHAR']);
  });

  test('every character of the special set counts as special on its own', () => {
    for (const special of SPECIAL_CHARACTERS) {
      assert.deepEqual(check(`Abcdefg1${special}`), [], `special ${special}`);
    }
  });

  test('printable characters outside the set do not count as special', () => {
    for (const other of ['^', '|', '\\', ' ']) {
      assert.deepEqual(check(`Abcdefg1${other}`), ['PW_NO_SPECIAL_CHAR'], `character ${JSON.stringify(other)}`);
    }
  });

  test('a rule that is switched off reports nothing', () => {
    const lax = { requireLetter: false, requireUppercase: false, requireDigit: false, requireSpecial: false, minLength: 1 };
    assert.deepEqual(check('x', lax), []);
    assert.deepEqual(check('12345678', { requireLetter: false, requireUppercase: false, requireSpecial: false }), []);
  });
});

describe('several failures together', () => {
  test('are all reported, in iRedAdmin\'s order, ready to be comma-joined into _msg', () => {
    const codes = check('abc');
    assert.deepEqual(codes, ['PW_SHORTER_THAN_MIN_LENGTH', 'PW_NO_UPPERCASE', 'PW_NO_DIGIT_NUMBER', 'PW_NO_SPECIAL_CHAR']);
    assert.equal(codes.join(','), 'PW_SHORTER_THAN_MIN_LENGTH,PW_NO_UPPERCASE,PW_NO_DIGIT_NUMBER,PW_NO_SPECIAL_CHAR');
  });

  test('the example from the API documentation', () => {
    assert.equal(check('abcdefg1').join(','), 'PW_NO_UPPERCASE,PW_NO_SPECIAL_CHAR');
  });

  test('a password breaking every rule but emptiness lists all seven codes in order', () => {
    // min > max only to make both length codes possible at once.
    assert.deepEqual(check('ééééééééééé', { minLength: 12, maxLength: 10 }), PW_CODES.filter((code) => code !== 'PW_EMPTY'));
  });

  test('non-ASCII letters do not count as letters', () => {
    assert.deepEqual(check('ÄÖÜ12345!', {}), ['PW_NON_ASCII', 'PW_NO_LETTER', 'PW_NO_UPPERCASE']);
  });
});

describe('per-domain length override', () => {
  const global = policy({ minLength: 8, maxLength: 30 });

  test('non-zero domain values replace the global ones', () => {
    const domain = effectivePolicy(global, 12, 20);
    assert.equal(domain.minLength, 12);
    assert.equal(domain.maxLength, 20);
  });

  test('zero or absent domain values keep the global ones', () => {
    assert.deepEqual(effectivePolicy(global, 0, 0), global);
    assert.deepEqual(effectivePolicy(global), global);
    assert.deepEqual(effectivePolicy(global, undefined, 25), { ...global, maxLength: 25 });
    assert.deepEqual(effectivePolicy(global, 10), { ...global, minLength: 10 });
  });

  test('corrupt (negative or fractional) domain values are ignored', () => {
    assert.deepEqual(effectivePolicy(global, -5, 2.5), global);
  });

  test('the character-class requirements come from the global policy', () => {
    const lax = policy({ requireSpecial: false, requireDigit: false });
    const domain = effectivePolicy(lax, 10, 0);
    assert.equal(domain.requireSpecial, false);
    assert.equal(domain.requireDigit, false);
    assert.equal(domain.requireUppercase, true);
  });

  test('a password the global policy accepts can fail the domain\'s stricter one', () => {
    const password = 'Abcdefgh1!'; // 10 characters
    assert.deepEqual(checkPasswordPolicy(password, global), []);
    assert.deepEqual(checkPasswordPolicy(password, effectivePolicy(global, 12)), ['PW_SHORTER_THAN_MIN_LENGTH']);
    assert.deepEqual(checkPasswordPolicy(password, effectivePolicy(global, 0, 9)), ['PW_GREATER_THAN_MAX_LENGTH']);
  });

  test('the global policy object is not modified', () => {
    const before = { ...global };
    effectivePolicy(global, 14, 16);
    assert.deepEqual(global, before);
  });
});

describe('generateRandomPassword', () => {
  test('with the defaults: 10 characters that pass the default policy, every time', () => {
    for (let i = 0; i < 300; i++) {
      const password = generateRandomPassword(DEFAULT_PASSWORD_POLICY);
      assert.equal(password.length, 10);
      assert.deepEqual(checkPasswordPolicy(password, DEFAULT_PASSWORD_POLICY), [], password);
    }
  });

  test('never uses the look-alike characters 0, 1, i, l, I, O', () => {
    const sample = Array.from({ length: 300 }, () => generateRandomPassword(policy({ minLength: 40 }))).join('');
    assert.doesNotMatch(sample, /[01ilIO]/);
  });

  test('a longer minimum length gives a longer password', () => {
    const strict = policy({ minLength: 24 });
    const password = generateRandomPassword(strict);
    assert.equal(password.length, 24);
    assert.deepEqual(checkPasswordPolicy(password, strict), []);
  });

  test('a maximum below 10 is respected, so the password still passes', () => {
    const tight = policy({ minLength: 8, maxLength: 8 });
    for (let i = 0; i < 50; i++) {
      const password = generateRandomPassword(tight);
      assert.equal(password.length, 8);
      assert.deepEqual(checkPasswordPolicy(password, tight), [], password);
    }
  });

  test('leaves out special characters when the policy does not ask for them', () => {
    const plain = policy({ requireSpecial: false, minLength: 60 });
    const password = generateRandomPassword(plain);
    assert.match(password, /^[A-Za-z2-9]{60}$/);
  });

  test('is random: no two of many passwords are the same', () => {
    const seen = new Set(Array.from({ length: 500 }, () => generateRandomPassword(DEFAULT_PASSWORD_POLICY)));
    assert.equal(seen.size, 500);
  });

  test('required characters are not always in the same positions', () => {
    const firstChars = new Set(Array.from({ length: 200 }, () => generateRandomPassword(DEFAULT_PASSWORD_POLICY)[0]));
    assert.ok([...firstChars].some((c) => /[a-z]/.test(c!)), 'a lower-case letter sometimes comes first');
    assert.ok([...firstChars].some((c) => /[2-9]/.test(c!)), 'a digit sometimes comes first');
  });
});
