"""Write: the Arrow schemas, Hive-partitioned Parquet, staged and committed per partition, under a lock.

Beam stage: ``write.py`` (``WriteTables``)."""
