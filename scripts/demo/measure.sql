-- pgbench: a device reports a measurement and is marked as seen.
\set dev random(1, 50)
\set v random(0, 1000000)
\set q random(0, 3)
BEGIN;
INSERT INTO demo.measurements (device_id, taken_at, local_at, value, reading, quality, raw, note)
VALUES (:dev, clock_timestamp(), localtimestamp, :v / 7.0, :v / 3.0, :q,
        decode(md5(:v::text), 'hex'), format('reading %s ✓ "%s"', :v, :q));
UPDATE demo.devices
   SET last_seen = clock_timestamp(), online = (:q <> 0),
       config = jsonb_set(config, '{last}', to_jsonb(:v))
 WHERE id = :dev;
COMMIT;
