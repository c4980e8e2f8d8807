-- Missions à venir: booked (not cancelled) missions from the export date on, assigned or not.
SELECT * FROM missions_detail WHERE NOT passee AND annulation IS NULL
