-- Missions à affecter for operations: upcoming missions with no extra yet (the hotel's real name and contacts).
SELECT * FROM missions_a_venir WHERE extra_id IS NULL
