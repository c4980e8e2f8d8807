-- Missions passées for operations: every mission started before the export date, with real names and contacts.
SELECT * FROM missions_detail WHERE passee
