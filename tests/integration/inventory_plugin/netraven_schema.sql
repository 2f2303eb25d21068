-- NetRaven's device and tag tables as its initial Alembic migration creates them
-- (ccieblogger/netraven, alembic/versions/a3992da91329_initial_schema_definition.py), plus the
-- bulk-import columns serial_number, model, source, notes as free fields. Portable between
-- SQLite and PostgreSQL (TIMESTAMP instead of timestamptz, CURRENT_TIMESTAMP instead of now()).
-- tag_id has no foreign key here so that tests can hold an association to a missing tag.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    hostname VARCHAR NOT NULL UNIQUE,
    ip_address VARCHAR NOT NULL UNIQUE,
    device_type VARCHAR NOT NULL,
    description VARCHAR,
    port INTEGER DEFAULT 22,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    last_seen TIMESTAMP,
    serial_number VARCHAR,
    model VARCHAR,
    source VARCHAR,
    notes VARCHAR
);
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    type VARCHAR
);
CREATE TABLE device_tag_association (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL,
    PRIMARY KEY (device_id, tag_id)
);
