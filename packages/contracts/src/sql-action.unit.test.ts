import { describe, expect, it } from 'vitest';
import { compileSqlAction, type SqlActionTarget } from './sql-action.js';
import { SqlFilterError, type SqlValue } from './sql-filter.js';

function target(user: Record<string, SqlValue>, system: Record<string, SqlValue> = {}): SqlActionTarget {
  return {
    user: (name) => user[name],
    system: (name) => system[name.toLowerCase()],
    set: (scope, name, value) => {
      if (scope === 'user') user[name] = value;
      else system[name.toLowerCase()] = value;
    },
    remove: (scope, name) => {
      if (scope === 'user') delete user[name];
      else delete system[name.toLowerCase()];
    },
  };
}

describe('compileSqlAction', () => {
  it('runs SET and REMOVE in order, each statement seeing the earlier ones', () => {
    const user: Record<string, SqlValue> = { a: 2, gone: 'x' };
    const system: Record<string, SqlValue> = { label: 'old' };

    compileSqlAction(
      "SET b = a * 3; SET c = b + 1; REMOVE gone; SET sys.Label = 'new;ish'; SET [my prop] = 'v'",
    ).apply(target(user, system));

    expect(user).toEqual({ a: 2, b: 6, c: 7, 'my prop': 'v' });
    expect(system).toEqual({ label: 'new;ish' });
  });

  it('refuses what Service Bus refuses', () => {
    for (const text of [
      'SET sys.SequenceNumber = 1',
      'SET x = newid()',
      'SET x',
      'REMOVE x = 1',
      'DELETE x',
      '',
    ]) {
      expect(() => compileSqlAction(text), text).toThrow(SqlFilterError);
    }
  });
});
