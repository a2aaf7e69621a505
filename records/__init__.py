"""The case record: JiM's system of record beside Temporal.

Temporal is the engine and the audit trail, but it forgets a closed case after the namespace's retention.
This package keeps every case for good in a SQL database (an SQLite file in the data dir by default,
PostgreSQL in production): the facts reports aggregate stay in the clear (codes, ids, dates, hours,
amounts, scores) and personal data and free text are sealed with the key ring (:mod:`records.sealing`).

Workflows never import it: they send :class:`casefac.record.CaseRecord` snapshots to the ``records.write``
activity (:mod:`activities.records`), which hands them to :class:`records.store.RecordStore`.
"""
