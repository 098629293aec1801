"""Persistence: SQLAlchemy tables, migrations, repositories, unit of work and outbox."""
