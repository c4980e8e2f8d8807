-- Missions à affecter: upcoming missions with no extra yet.
SELECT * FROM missions_a_venir WHERE extra_id IS NULL
