/**
 * Search filters, always built from ldapts's filter objects. A value is sent as the BER
 * octet string of its filter item (RFC 4511 §4.5.1.7), never spliced into filter text, so
 * `*`, `(`, `)`, `\` or NUL in a value match themselves and nothing else: a client cannot
 * widen a search. There is deliberately no helper that takes filter text.
 */
import { AndFilter, EqualityFilter, NotFilter, OrFilter, PresenceFilter, SubstringFilter, type Filter } from 'ldapts';

export type { Filter };

export function eq(attribute: string, value: string): Filter {
  return new EqualityFilter({ attribute, value });
}

export function present(attribute: string): Filter {
  return new PresenceFilter({ attribute });
}

/** `(attribute=*<suffix>)`: the suffix is one literal substring item. */
export function endsWith(attribute: string, suffix: string): Filter {
  return new SubstringFilter({ attribute, final: suffix });
}

/** `(attribute=*<text>*)`: the text is one literal substring item. */
export function contains(attribute: string, text: string): Filter {
  return new SubstringFilter({ attribute, any: [text] });
}

export function and(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : new AndFilter({ filters });
}

/** An empty OR matches nothing (RFC 4526's absolute false), which is what an empty list should do. */
export function or(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : new OrFilter({ filters });
}

export function not(filter: Filter): Filter {
  return new NotFilter({ filter });
}

export function objectClass(name: string): Filter {
  return eq('objectClass', name);
}

/** `(|(attribute=v1)(attribute=v2)…)` */
export function anyOf(attribute: string, values: readonly string[]): Filter {
  return or(...values.map((value) => eq(attribute, value)));
}
