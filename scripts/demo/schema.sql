-- The demo's operational schema: devices that report measurements and raise alarms.
CREATE SCHEMA demo;
CREATE TYPE demo.severity AS ENUM ('info', 'warning', 'critical');

CREATE TABLE demo.devices (
  id           integer PRIMARY KEY,
  name         text NOT NULL,
  site         text,
  serial       uuid NOT NULL,
  installed_on date,
  firmware     numeric(8, 3),
  config       jsonb NOT NULL DEFAULT '{}',
  tags         text[],
  online       boolean NOT NULL DEFAULT true,
  last_seen    timestamptz
);

CREATE TABLE demo.measurements (
  id        bigserial PRIMARY KEY,
  device_id integer NOT NULL,
  taken_at  timestamptz NOT NULL,
  local_at  timestamp NOT NULL,
  value     double precision,
  reading   numeric(14, 4),
  quality   smallint,
  raw       bytea,
  note      text
);

CREATE TABLE demo.alarms (
  id           bigserial PRIMARY KEY,
  device_id    integer NOT NULL,
  severity     demo.severity NOT NULL,
  raised_at    timestamptz NOT NULL,
  cleared_at   timestamptz,
  acknowledged boolean NOT NULL DEFAULT false,
  message      text NOT NULL,
  duration     interval
);

-- An audit table without a primary key: replayed by its full row.
CREATE TABLE demo.operator_log (
  at      timestamptz NOT NULL,
  entry   text
);
ALTER TABLE demo.operator_log REPLICA IDENTITY FULL;

INSERT INTO demo.devices (id, name, site, serial, installed_on, firmware, config, tags, last_seen)
SELECT i, format('device-%s', i), (ARRAY['north', 'south', 'O''Hare \ yard', 'Zürich'])[1 + i % 4],
       md5(i::text)::uuid, date '2020-01-01' + i, 1.000 + i / 1000.0,
       jsonb_build_object('interval_s', 5 + i % 10, 'label', format('unit "%s"', i)),
       ARRAY[format('rack-%s', i % 5), 'demo'], now()
FROM generate_series(1, 50) AS i;
