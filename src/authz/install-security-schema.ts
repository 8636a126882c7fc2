import { sql } from 'kysely'
import type { EnvDb } from '../storage/index.ts'

/** The tables a SecurityContext is read from (load-security-context), plus systemuser. */
export const SECURITY_VERSIONED_TABLES = [
  'organization',
  'businessunit',
  'systemuser',
  'team',
  'teammembership',
  'role',
  'roleprivileges',
  'systemuserroles',
  'teamroles',
] as const

/**
 * Creates the internal security tables, triggers and indexes of an environment database
 * (docs/authz.md §2.2), and fills the business unit closure from the businessunit rows.
 * Idempotent (IF NOT EXISTS; the closure is rebuilt). Needs the businessunit and
 * principalobjectaccess tables; run inside the migration or provisioning transaction.
 *
 * `_bu_closure` holds one row per (ancestor, descendant) pair, each unit its own ancestor at
 * depth 0. Triggers keep it in the writer's transaction on every path that writes
 * businessunit, and refuse a parent change that would make a cycle (RAISE(ABORT) with a
 * '<column>|<message>' text, which the records layer turns into RECORD_INVALID).
 */
export async function installSecuritySchema(trx: EnvDb): Promise<void> {
  await sql`create table if not exists _bu_closure (
    ancestorid text not null,
    descendantid text not null,
    depth integer not null,
    primary key (ancestorid, descendantid)
  ) strict, without rowid`.execute(trx)
  await sql`create index if not exists "_ix._bu_closure.descendantid"
    on _bu_closure (descendantid, ancestorid)`.execute(trx)
  await sql`create trigger if not exists "_tr.businessunit.closure_insert"
    after insert on businessunit
    begin
      insert into _bu_closure (ancestorid, descendantid, depth)
        values (new.businessunitid, new.businessunitid, 0);
      insert into _bu_closure (ancestorid, descendantid, depth)
        select ancestorid, new.businessunitid, depth + 1 from _bu_closure
        where descendantid = new.parentbusinessunitid;
    end`.execute(trx)
  await sql`create trigger if not exists "_tr.businessunit.closure_cycle"
    before update of parentbusinessunitid on businessunit
    when new.parentbusinessunitid is not null and exists (
      select 1 from _bu_closure
      where ancestorid = new.businessunitid and descendantid = new.parentbusinessunitid)
    begin
      select raise(abort, 'parentbusinessunitid|a business unit can''t be moved under itself or one of its descendants');
    end`.execute(trx)
  await sql`create trigger if not exists "_tr.businessunit.closure_move"
    after update of parentbusinessunitid on businessunit
    when old.parentbusinessunitid is not new.parentbusinessunitid
    begin
      delete from _bu_closure
        where descendantid in (select descendantid from _bu_closure where ancestorid = new.businessunitid)
          and ancestorid not in (select descendantid from _bu_closure where ancestorid = new.businessunitid);
      insert into _bu_closure (ancestorid, descendantid, depth)
        select a.ancestorid, d.descendantid, a.depth + d.depth + 1
        from _bu_closure a, _bu_closure d
        where a.descendantid = new.parentbusinessunitid and d.ancestorid = new.businessunitid;
    end`.execute(trx)
  await sql`create trigger if not exists "_tr.businessunit.closure_delete"
    after delete on businessunit
    begin
      delete from _bu_closure where descendantid = old.businessunitid or ancestorid = old.businessunitid;
    end`.execute(trx)
  await sql`create index if not exists "_ix.principalobjectaccess.objectid_principalid"
    on principalobjectaccess (objectid, principalid)`.execute(trx)
  await sql`create index if not exists "_ix.principalobjectaccess.principalid"
    on principalobjectaccess (principalid)`.execute(trx)
  // The security version: bumped in the writer's transaction by every change to a table a
  // caller's SecurityContext is read from, so a cached context is reused exactly while it is
  // current (docs/authz.md §7). Shares are not in it: the scope reads them live in SQL.
  await sql`create table if not exists _security_version (
    id integer primary key not null check (id = 1),
    value integer not null
  ) strict`.execute(trx)
  await sql`insert or ignore into _security_version (id, value) values (1, 0)`.execute(trx)
  for (const table of SECURITY_VERSIONED_TABLES) {
    // Trigger and table names are this module's constants, never input (DDL takes no
    // parameters).
    // eslint-disable-next-line no-restricted-syntax -- constant identifier, see above
    const on = sql.id(table)
    // eslint-disable-next-line no-restricted-syntax -- constant identifier, see above
    const name = (event: string) => sql.id(`_tr.${table}.security_version_${event}`)
    const bump = sql`update _security_version set value = value + 1 where id = 1;`
    await sql`create trigger if not exists ${name('insert')} after insert on ${on}
      begin ${bump} end`.execute(trx)
    await sql`create trigger if not exists ${name('update')} after update on ${on}
      begin ${bump} end`.execute(trx)
    await sql`create trigger if not exists ${name('delete')} after delete on ${on}
      begin ${bump} end`.execute(trx)
  }
  // Rebuild the closure from the rows (a database provisioned before the triggers existed).
  await sql`delete from _bu_closure`.execute(trx)
  await sql`insert into _bu_closure (ancestorid, descendantid, depth)
    with recursive up(descendantid, ancestorid, depth) as (
      select businessunitid, businessunitid, 0 from businessunit
      union all
      select up.descendantid, b.parentbusinessunitid, up.depth + 1
      from up join businessunit b on b.businessunitid = up.ancestorid
      where b.parentbusinessunitid is not null and up.depth < 1000
    )
    select ancestorid, descendantid, depth from up`.execute(trx)
}
