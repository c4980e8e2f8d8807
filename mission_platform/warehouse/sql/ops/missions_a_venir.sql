-- Missions à venir for operations: booked (not cancelled) missions from the export date on, with real names
-- and contacts.
SELECT * FROM missions_detail WHERE NOT passee AND annulation IS NULL
