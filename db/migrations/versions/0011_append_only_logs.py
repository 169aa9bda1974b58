"""append-only logs: chain_hash, triggers that refuse changes, privileges revoked (issue 13)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 10:00:00.000000

audit_log, access_log and security_event:

- `chain_hash` on every row: sha256 over the previous row's hash and the row's canonical JSON
  (the rule of db/audit_chain.py, repeated here so this migration keeps meaning what it meant:
  tests/integration/test_append_only_logs.py checks that the two agree). Rows that exist now
  are chained in id order.
- The database refuses to change or remove a row, for every role. PostgreSQL: a statement
  trigger BEFORE UPDATE OR DELETE OR TRUNCATE (it fires even when no row matches). SQLite:
  triggers BEFORE UPDATE and BEFORE DELETE that RAISE(ABORT) (SQLite has no TRUNCATE; a DELETE
  without WHERE fires the trigger too, the truncate optimisation is off for a table with
  triggers).
- PostgreSQL: UPDATE, DELETE and TRUNCATE on the three tables are revoked from PUBLIC and from
  every role holding them but the tables' owner (the app's role, when it is not the owner;
  deploy/SECURITY.md describes the two roles).

DROP TABLE is not refused (it needs the owner): `python -m db.demo --reset` goes down to base and
up again, which drops these triggers (downgrade below) and the tables, on a demo database only.
A later migration that must rewrite log rows, or that recreates a log table (SQLite batch mode
copies the table and drops the old one with its triggers), has to put the triggers back: the
tests try every refused statement on a database migrated to head.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: each log with its content columns (all but id and chain_hash), as of this migration
LOGS = {
    'audit_log': (
        sa.column('at', sa.DateTime(timezone=True)), sa.column('actor_id', sa.Integer),
        sa.column('action', sa.String), sa.column('entity', sa.String),
        sa.column('entity_id', sa.Integer), sa.column('patient_id', sa.Integer),
        sa.column('before', sa.JSON), sa.column('after', sa.JSON),
    ),
    'access_log': (
        sa.column('at', sa.DateTime(timezone=True)), sa.column('staff_id', sa.Integer),
        sa.column('view', sa.String), sa.column('patient_id', sa.Integer),
        sa.column('patient_count', sa.Integer),
    ),
    'security_event': (
        sa.column('at', sa.DateTime(timezone=True)), sa.column('kind', sa.String),
        sa.column('staff_id', sa.Integer), sa.column('username', sa.String),
        sa.column('detail', sa.String),
    ),
}
REFUSED_SQLITE = ('UPDATE', 'DELETE')
PG_FUNCTION = 'kt_log_append_only'


def _canonical(row: dict) -> str:
    content = {}
    for name, value in row.items():
        if value is None:  # left out: a column added later does not change old rows' content
            continue
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.UTC)
            value = value.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        content[name] = value
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(',', ':'))


def _chain_existing_rows(name: str, columns: tuple) -> None:
    connection = op.get_bind()
    table = sa.table(name, sa.column('id', sa.Integer), sa.column('chain_hash', sa.String),
                     *columns)
    rows = connection.execute(
        sa.select(table.c.id, *columns).order_by(table.c.id)
    ).mappings().all()
    previous, hashes = '', []
    for row in rows:
        content = {c.name: row[c.name] for c in columns}
        previous = hashlib.sha256((previous + _canonical(content)).encode('utf-8')).hexdigest()
        hashes.append({'row_id': row['id'], 'hash': previous})
    if hashes:
        connection.execute(
            table.update().where(table.c.id == sa.bindparam('row_id'))
            .values(chain_hash=sa.bindparam('hash')),
            hashes,
        )


def upgrade() -> None:
    for name, columns in LOGS.items():
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
        _chain_existing_rows(name, columns)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column('chain_hash', existing_type=sa.String(length=64),
                                  nullable=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""
            CREATE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% kan kun tilføjes til: % er ikke tilladt', TG_TABLE_NAME, TG_OP;
            END
            $$
        """)
        for name in LOGS:
            op.execute(
                f'CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {name} '
                f'FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()'
            )
        names = ', '.join(LOGS)
        op.execute(f'REVOKE UPDATE, DELETE, TRUNCATE ON {names} FROM PUBLIC')
        # every other role that holds one of them (e.g. after GRANT ALL ON ALL TABLES)
        op.execute(f"""
            DO $$
            DECLARE grantee_name text;
            BEGIN
                FOR grantee_name IN
                    SELECT DISTINCT r.rolname
                    FROM pg_class c
                    CROSS JOIN LATERAL aclexplode(c.relacl) acl
                    JOIN pg_roles r ON r.oid = acl.grantee
                    WHERE c.oid IN ({', '.join(f"'{n}'::regclass" for n in LOGS)})
                      AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
                      AND acl.grantee <> c.relowner
                LOOP
                    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON {names} FROM %I',
                                   grantee_name);
                END LOOP;
            END
            $$
        """)
    else:
        for name in LOGS:
            for statement in REFUSED_SQLITE:
                op.execute(
                    f'CREATE TRIGGER {name}_no_{statement.lower()} BEFORE {statement} ON {name} '
                    f"BEGIN SELECT RAISE(ABORT, '{name} kan kun tilføjes til: {statement} er "
                    "ikke tilladt'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name in LOGS:
            op.execute(f'DROP TRIGGER IF EXISTS {name}_append_only ON {name}')
        op.execute(f'DROP FUNCTION IF EXISTS {PG_FUNCTION}()')
        # the revoked privileges stay revoked: grant them again by hand if they are wanted
    else:
        for name in LOGS:
            for statement in REFUSED_SQLITE:
                op.execute(f'DROP TRIGGER IF EXISTS {name}_no_{statement.lower()}')
    for name in reversed(LOGS):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_column('chain_hash')
