/**
 * Account kinds that exist only on LDAP (pro-api-behaviour §1.14): legacy mailing lists and
 * the LDIF export. SQL servers use mail aliases as lists and have no LDIF, so every method
 * answers NOT_SUPPORTED_BY_BACKEND; `supported` lets services refuse before reading anything.
 */
import { ApiError } from '#lib/http/errors';
import type { DirectoryExport, MailingListStore } from '#lib/storage/store';

const refuse = async (): Promise<never> => {
  throw new ApiError('NOT_SUPPORTED_BY_BACKEND');
};

export const sqlMailingLists: MailingListStore = {
  supported: false,
  get: refuse,
  count: refuse,
  addressInUse: refuse,
  create: refuse,
  update: refuse,
  addMembers: refuse,
  removeMembers: refuse,
  delete: refuse,
};

export const sqlDirectoryExport: DirectoryExport = {
  supported: false,
  entries: refuse,
};
