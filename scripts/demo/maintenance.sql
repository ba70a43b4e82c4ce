-- pgbench: an operator note, and now and then a firmware update of a device.
\set dev random(1, 50)
BEGIN;
INSERT INTO demo.operator_log (at, entry) VALUES (clock_timestamp(), format('checked device %s', :dev));
UPDATE demo.devices SET firmware = firmware + 0.001, tags = tags || format('fw-%s', :dev)
 WHERE id = :dev AND random() < 0.2;
COMMIT;
