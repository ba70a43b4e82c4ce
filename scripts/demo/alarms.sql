-- pgbench: an alarm is raised, the oldest open one of the device acknowledged, an old
-- acknowledged one deleted.
\set dev random(1, 50)
\set s random(1, 3)
BEGIN;
INSERT INTO demo.alarms (device_id, severity, raised_at, message, duration)
VALUES (:dev, (ARRAY['info', 'warning', 'critical'])[:s]::demo.severity, clock_timestamp(),
        format('device %s: O''Brien''s probe says "%s" \ check', :dev, :s),
        make_interval(secs => :s * 1.5));
UPDATE demo.alarms SET acknowledged = true, cleared_at = clock_timestamp()
 WHERE id = (SELECT min(id) FROM demo.alarms WHERE NOT acknowledged AND device_id = :dev);
DELETE FROM demo.alarms
 WHERE id = (SELECT min(id) FROM demo.alarms WHERE acknowledged AND device_id = :dev)
   AND (SELECT count(*) FROM demo.alarms WHERE device_id = :dev) > 5;
COMMIT;
