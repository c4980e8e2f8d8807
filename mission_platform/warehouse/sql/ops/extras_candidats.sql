-- The candidates of each mission to assign, for operations: reporting.extras_candidats with real names, then the
-- extra's phone and e-mail (to call them).
SELECT r.mission_id,
       r.rang,
       r.extra_id,
       pe.nom AS extra_nom,
       r.statuts,
       r.disponibilites,
       r.missions_hotel,
       r.missions_total,
       r.date_debut,
       r.date_fin,
       r.hotel_id,
       ph.hotel_nom,
       r.hotel_logiciel,
       pe.telephone AS extra_telephone,
       pe.email AS extra_email
FROM reporting.extras_candidats r
LEFT JOIN private.extra pe ON pe.extra_id = r.extra_id
LEFT JOIN private.hotel ph ON ph.hotel_id = r.hotel_id
