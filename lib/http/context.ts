import type { Config } from '#lib/config';
import type { Caller } from '#lib/auth/caller';
import type { Route } from '#lib/http/routes';
import type { ApiRequest } from '#lib/http/request';
import type { Reply } from '#lib/http/reply';
import type { Store } from '#lib/storage/store';

/** What an operation receives: the request, who is calling, and the container's store. */
export interface Context {
  req: ApiRequest;
  route: Route;
  config: Config;
  store: Store;
  caller: Caller | undefined;
}

export type Operation = (ctx: Context) => Promise<Reply>;
export type Operations = Record<string, Operation>;

/** A compiled parameter validator (lib/model/generated); its errors carry the schema's `x-msg` code. */
export type ParamValidator = ((params: Record<string, string>) => boolean) & { errors?: { parentSchema?: Record<string, unknown> }[] | null };

/** What a route family provides: its operations and the validators of its routes' parameters. */
export interface FamilyModule {
  operations: Operations;
  validators: Record<string, ParamValidator>;
}
