import { sql } from 'kysely'
import type { EnvDb } from '../storage/index.ts'

/**
 * Creates the manager hierarchy's internal table and triggers (docs/authz.md §15) and fills
 * the closure from the systemuser rows. Idempotent (IF NOT EXISTS; the closure is rebuilt).
 * Needs systemuser.parentsystemuserid and the organization's hierarchy columns; run inside the
 * migration or provisioning transaction.
 *
 * `_manager_closure` holds one row per (manager, report) pair, each user its own manager at
 * depth 0, so "report R is d levels below M" is one point lookup. Triggers keep it in the
 * writer's transaction on every path that writes systemuser, and refuse a manager change that
 * would make a cycle (RAISE(ABORT) with a '<column>|<message>' text, which the records layer
 * turns into RECORD_INVALID, as for business units). Changes to systemuser and organization
 * already bump the security version (installSecuritySchema), so a cached caller's hierarchy
 * settings are re-read on the next request; the closure itself is read live by the SQL scope.
 */
export async function installHierarchySchema(trx: EnvDb): Promise<void> {
  await sql`create table if not exists _manager_closure (
    managerid text not null,
    reportid text not null,
    depth integer not null,
    primary key (managerid, reportid)
  ) strict, without rowid`.execute(trx)
  await sql`create index if not exists "_ix._manager_closure.reportid"
    on _manager_closure (reportid, managerid)`.execute(trx)
  const cycle = sql`select raise(abort, 'parentsystemuserid|a user can''t report to themselves or to one of their reports');`
  await sql`create trigger if not exists "_tr.systemuser.manager_self"
    before insert on systemuser
    when new.parentsystemuserid is not null and new.parentsystemuserid = new.systemuserid
    begin ${cycle} end`.execute(trx)
  await sql`create trigger if not exists "_tr.systemuser.manager_insert"
    after insert on systemuser
    begin
      insert into _manager_closure (managerid, reportid, depth)
        values (new.systemuserid, new.systemuserid, 0);
      insert into _manager_closure (managerid, reportid, depth)
        select managerid, new.systemuserid, depth + 1 from _manager_closure
        where reportid = new.parentsystemuserid;
    end`.execute(trx)
  await sql`create trigger if not exists "_tr.systemuser.manager_cycle"
    before update of parentsystemuserid on systemuser
    when new.parentsystemuserid is not null and exists (
      select 1 from _manager_closure
      where managerid = new.systemuserid and reportid = new.parentsystemuserid)
    begin ${cycle} end`.execute(trx)
  await sql`create trigger if not exists "_tr.systemuser.manager_move"
    after update of parentsystemuserid on systemuser
    when old.parentsystemuserid is not new.parentsystemuserid
    begin
      delete from _manager_closure
        where reportid in (select reportid from _manager_closure where managerid = new.systemuserid)
          and managerid not in (select reportid from _manager_closure where managerid = new.systemuserid);
      insert into _manager_closure (managerid, reportid, depth)
        select a.managerid, d.reportid, a.depth + d.depth + 1
        from _manager_closure a, _manager_closure d
        where a.reportid = new.parentsystemuserid and d.managerid = new.systemuserid;
    end`.execute(trx)
  await sql`create trigger if not exists "_tr.systemuser.manager_delete"
    after delete on systemuser
    begin
      delete from _manager_closure where reportid = old.systemuserid or managerid = old.systemuserid;
    end`.execute(trx)
  // The excluded tables are a comma-separated list of logical names: nothing else is stored.
  const badList = sql`new.hierarchysecurityexcludedtables is not null
    and new.hierarchysecurityexcludedtables glob '*[^a-z0-9_,]*'`
  const listError = sql`select raise(abort, 'hierarchysecurityexcludedtables|expected table logical names separated by commas');`
  await sql`create trigger if not exists "_tr.organization.hierarchy_excluded_insert"
    before insert on organization when ${badList} begin ${listError} end`.execute(trx)
  await sql`create trigger if not exists "_tr.organization.hierarchy_excluded_update"
    before update of hierarchysecurityexcludedtables on organization
    when ${badList} begin ${listError} end`.execute(trx)
  // Rebuild the closure from the rows (a database migrated from before the triggers).
  await sql`delete from _manager_closure`.execute(trx)
  await sql`insert into _manager_closure (managerid, reportid, depth)
    with recursive up(reportid, managerid, depth) as (
      select systemuserid, systemuserid, 0 from systemuser
      union all
      select up.reportid, u.parentsystemuserid, up.depth + 1
      from up join systemuser u on u.systemuserid = up.managerid
      where u.parentsystemuserid is not null and up.depth < 1000
    )
    select managerid, reportid, min(depth) from up group by managerid, reportid`.execute(trx)
}
