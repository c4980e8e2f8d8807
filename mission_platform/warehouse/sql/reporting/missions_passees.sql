-- Missions passées: every mission started before the export date, cancelled ones included (their amounts are 0).
SELECT * FROM missions_detail WHERE passee
