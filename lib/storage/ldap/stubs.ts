/**
 * Account stores that do not exist on LDAP yet (issue 4 continues with users). Every method
 * answers NOT_SUPPORTED_BY_BACKEND, so the API replies with a code instead of crashing. A Proxy
 * supplies the methods, so these stubs keep compiling while the interfaces grow.
 */
import { ApiError } from '#lib/http/errors';
import type { UserStore } from '#lib/storage/store';

class NotSupportedOnLdap {
  constructor(readonly area: string) {
    return new Proxy(this, {
      get(target, property, receiver) {
        if (typeof property === 'symbol' || property === 'then' || property in target) return Reflect.get(target, property, receiver);
        return async () => {
          throw new ApiError('NOT_SUPPORTED_BY_BACKEND');
        };
      },
    });
  }
}

/** Mail users on LDAP: not yet. */
export class LdapUserStoreStub extends NotSupportedOnLdap {
  constructor() {
    super('users');
  }
}

/**
 * Mail aliases on LDAP were a stub until lib/storage/ldap/aliases.ts; the class stays because
 * test/interop/mailstack.test.ts asks whether the alias store is still one.
 */
export class LdapAliasStoreStub extends NotSupportedOnLdap {
  constructor() {
    super('aliases');
  }
}

export const notYetOnLdap = {
  users: (): UserStore => new LdapUserStoreStub() as unknown as UserStore,
};
